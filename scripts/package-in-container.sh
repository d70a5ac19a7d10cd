#!/bin/sh
# Builds the Lambda package on any host with docker or podman (macOS, Windows, any Linux,
# Intel or Apple silicon): a debian:12 container of the asked-for architecture runs
# scripts/package-recipe.sh on a read-only copy of this tree and leaves the zip in build/.
# On a host of the other architecture the container runs emulated (Docker Desktop and
# podman machine ship it): slower, same bytes.
# Usage: scripts/package-in-container.sh [x86_64|arm64]   (default x86_64)
#   CONTAINER_ENGINE=docker|podman picks the engine (default: docker, else podman)
#   PACKAGE_OUT=DIR puts the zip there instead of build/
set -eu
arch=${1:-x86_64}
case $arch in
    x86_64) platform=linux/amd64 zip=lambda.zip ;;
    arm64) platform=linux/arm64 zip=lambda-arm64.zip ;;
    *) echo "usage: $0 [x86_64|arm64]" >&2; exit 2 ;;
esac
engine=${CONTAINER_ENGINE:-}
if [ -z "$engine" ]; then
    if command -v docker >/dev/null 2>&1; then engine=docker
    elif command -v podman >/dev/null 2>&1; then engine=podman
    else echo "package-in-container: needs docker or podman on PATH" >&2; exit 1
    fi
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${PACKAGE_OUT:-$repo/build}
mkdir -p "$out"
out=$(cd "$out" && pwd)
echo "package-in-container: $engine, debian:12 for $platform" >&2
"$engine" run --rm --platform "$platform" \
    -v "$repo:/src:ro" -v "$out:/out" \
    docker.io/library/debian:12 sh /src/scripts/package-recipe.sh /src /out
# the zip must hold a bootstrap for the asked-for machine, whatever the engine did
check=$(mktemp)
trap 'rm -f "$check"' EXIT
unzip -p "$out/$zip" bootstrap >"$check" 2>/dev/null || : >"$check"
if ! "$repo/scripts/check-elf-arch.sh" "$check" "$arch"; then
    rm -f "$out/$zip" # never leave a zip of the wrong machine where Terraform looks
    exit 1
fi
echo "package-in-container: $out/$zip" >&2
