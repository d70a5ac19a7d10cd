#!/bin/sh
# Installs the Debian packages the build, `make run` and `make test` need — only those
# that are missing, so running it again is cheap and changes nothing.
# Usage: scripts/install-deps.sh [run|dynamodb|test|package|package-x86_64|package-arm64|bench|clean-root]
set -eu

RUN_PKGS="gcc make pkg-config libc6-dev libmicrohttpd-dev libcjson-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev libcjose-dev libjansson-dev libutf8proc-dev"
TEST_PKGS="libcmocka-dev valgrind sqlite3 curl python3-botocore clang libclang-rt-14-dev wrk openssl util-linux chromium"
# the static Lambda bootstrap: Debian's .a libraries, source-package tools, zip, and a
# static busybox for the self-containment test
PACKAGE_PKGS="dpkg-dev libc-ares-dev zlib1g-dev busybox-static zip unzip file binutils"
# the arm64 bootstrap cross-compiled on x86_64 (its arm64 libraries are unpacked into the
# build folder, not installed), and qemu to run it in the tests
CROSS_PKGS="gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu qemu-user-static"
host=$(uname -m)

pkgs=$RUN_PKGS
[ "${1:-run}" = test ] && pkgs="$pkgs $TEST_PKGS $PACKAGE_PKGS"
[ "${1:-run}" = test ] && [ "$host" = x86_64 ] && pkgs="$pkgs $CROSS_PKGS"
case ${1:-run} in package|package-x86_64|package-arm64) pkgs="$pkgs $PACKAGE_PKGS" ;; esac
[ "${1:-run}" = package-arm64 ] && [ "$host" = x86_64 ] && pkgs="$pkgs $CROSS_PKGS"
# a fresh Debian root for the package recipe
[ "${1:-run}" = clean-root ] && pkgs="debootstrap"
# benchmarks: load generator, the nginx ceiling, the plot, and the seed's Python baseline
[ "${1:-run}" = bench ] && pkgs="$pkgs wrk nginx-light gnuplot-nox python3-boto3"

missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
# Node.js runs the contract suite; any Node >= 18 on PATH will do, else Debian's.
# (`make run` needs Node and npm for the documentation viewer and, with STORE=dynamodb,
# dynalite, both pinned npm packages)
needs_node=false
case ${1:-run} in run|test|dynamodb) needs_node=true ;; esac
if $needs_node && ! command -v node >/dev/null 2>&1; then
    missing="$missing nodejs"
fi
# npm installs the test-only packages pinned in package-lock.json (dynalite).
if $needs_node && ! command -v npm >/dev/null 2>&1; then
    missing="$missing npm"
fi

[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
        echo "install-deps: need root (or sudo) to install:$missing" >&2
        exit 1
    }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
# update only when a package is not in the local index yet
if ! $SUDO apt-get install -y --no-install-recommends $missing >/dev/null 2>&1; then
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y --no-install-recommends $missing
fi
