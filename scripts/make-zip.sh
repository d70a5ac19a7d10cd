#!/bin/sh
# Packs a bootstrap into a Lambda zip reproducibly: one entry, mode 755, a fixed
# timestamp, no extra attributes — the same input gives the same bytes.
# Usage: scripts/make-zip.sh BOOTSTRAP OUT.zip
set -eu
src=$1
out=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$src" "$stage/bootstrap"
chmod 755 "$stage/bootstrap"
touch -d '2000-01-01 00:00:00 UTC' "$stage/bootstrap"
rm -f "$out"
(cd "$stage" && TZ=UTC zip -q -X -D -9 "$out" bootstrap)
