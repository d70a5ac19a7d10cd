#!/bin/sh
# Proves the package recipe on a machine that has never built anything: debootstrap makes
# a minimal Debian 12 root from the Debian mirror this system uses (its apt sources are
# copied in), scripts/package-recipe.sh runs inside it under chroot exactly as it runs in
# the debian:12 container of scripts/package-in-container.sh, and the zip it produces is
# compared with build/lambda.zip when one exists (the package is reproducible). Needs
# root (debootstrap, chroot, mounting /proc). Prints how long each step took.
# Usage: scripts/package-clean-root.sh [WORK_DIR]   (default build/clean-root)
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$repo/build/clean-root}
root=$work/root
arch=$(uname -m | sed 's/aarch64/arm64/')
zip=lambda.zip
[ "$arch" = arm64 ] && zip=lambda-arm64.zip
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

cleanup() {
    umount "$root/proc" 2>/dev/null || true
    umount "$root/src" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
cleanup
rm -rf "$work"
mkdir -p "$work"
t0=$(date +%s)
echo "clean-root: debootstrap bookworm (minbase) from $mirror" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log"; exit 1; }
t1=$(date +%s)
# the same suites and mirror as this system, so the same package versions
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
    rm -f "$root/etc/apt/sources.list"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/src" "$root/out"
mount -t proc proc "$root/proc"
mount --bind -o ro "$repo" "$root/src"
echo "clean-root: running scripts/package-recipe.sh in the fresh root" >&2
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    sh /src/scripts/package-recipe.sh /src /out >"$work/recipe.log" 2>&1 ||
    { tail -40 "$work/recipe.log"; exit 1; }
t2=$(date +%s)
cp "$root/out/$zip" "$work/$zip"
sum=$(sha256sum "$work/$zip" | cut -d' ' -f1)
echo "clean-root: debootstrap $((t1 - t0)) s, recipe (packages + static deps + build) $((t2 - t1)) s, total $((t2 - t0)) s"
echo "clean-root: $work/$zip $(stat -c %s "$work/$zip") bytes, sha256 $sum"
if [ -f "$repo/build/$zip" ]; then
    if [ "$(sha256sum "$repo/build/$zip" | cut -d' ' -f1)" = "$sum" ]; then
        echo "clean-root: same bytes as build/$zip (reproducible)"
    else
        echo "clean-root: differs from build/$zip; the package versions that went into it:"
        for p in libssl-dev libc6-dev libc-ares-dev zlib1g-dev gcc-12 libcurl4-openssl-dev; do
            echo "  $p: here $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null), clean root $(chroot "$root" dpkg-query -W -f='${Version}' "$p" 2>/dev/null)"
        done
    fi
fi
