#!/bin/sh
# The one recipe that builds the Lambda package from a clean Debian 12 system: it is what
# scripts/package-in-container.sh runs inside a debian:12 container and what
# scripts/package-clean-root.sh runs inside a fresh debootstrap root. It copies the
# source tree (without build outputs), installs the Debian packages the package needs,
# runs `make package` for the machine it runs on, and copies the zip to OUT_DIR, owned by
# OUT_DIR's owner.
# Usage: scripts/package-recipe.sh SRC_DIR OUT_DIR
set -eu
src=$1
out=$2
work=/tmp/tasks-api-src
rm -rf "$work"
mkdir -p "$work" "$out"
(cd "$src" && tar -cf - --exclude=./build --exclude=./node_modules --exclude=./.git --exclude='*.zip' .) |
    (cd "$work" && tar -xf -)
export DEBIAN_FRONTEND=noninteractive
command -v make >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends make >/dev/null; }
cd "$work"
scripts/install-deps.sh package
make --no-print-directory package
for zip in build/lambda*.zip; do
    cp "$zip" "$out/"
    chown "$(stat -c %u:%g "$out")" "$out/$(basename "$zip")"
    echo "package-recipe: $out/$(basename "$zip") sha256 $(sha256sum "$zip" | cut -d' ' -f1)"
done
