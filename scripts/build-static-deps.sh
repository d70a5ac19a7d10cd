#!/bin/sh
# Builds the static libraries the Lambda bootstrap links that Debian does not ship as .a
# files: a minimal libcurl (HTTP/HTTPS only, OpenSSL, c-ares so DNS needs no glibc NSS,
# zlib) and cJSON — both from Debian's own source packages, fetched with apt-get source
# through a private sources list (the system's apt configuration is not touched).
# For arm64 on an x86_64 machine the same libraries are cross-compiled with Debian's
# aarch64-linux-gnu-gcc, and Debian's arm64 OpenSSL, c-ares and zlib development packages
# are downloaded with the same private apt state and unpacked into a sysroot beside them
# (no `dpkg --add-architecture`: the system's package database is not touched either).
# Everything lands in build/static[-arm64]/; nothing is committed. Idempotent: a finished
# build is not redone.
# Usage: scripts/build-static-deps.sh [BUILD_DIR] [x86_64|arm64]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
host=$(uname -m | sed 's/aarch64/arm64/')
arch=${2:-$host}
case $arch in x86_64|arm64) ;; *) echo "static-deps: unknown architecture '$arch'" >&2; exit 2 ;; esac
if [ "$arch" = "$host" ]; then
    out=$root/${1:-build}/static
    cc=${CC_STATIC:-cc}
    cross=""
else
    [ "$arch" = arm64 ] || { echo "static-deps: cross builds go to arm64 only (this is $host)" >&2; exit 2; }
    out=$root/${1:-build}/static-arm64
    cc=aarch64-linux-gnu-gcc
    cross=aarch64-linux-gnu
fi
prefix=$out/prefix
# the arm64 libraries Debian ships as .a, unpacked into a sysroot (listed in its .packages,
# so adding one here refreshes the sysroot without rebuilding curl)
sysroot_debs="libssl-dev libc-ares-dev zlib1g-dev libutf8proc-dev"
sysroot_ok=true
[ -n "$cross" ] && [ "$(cat "$out/sysroot/.packages" 2>/dev/null)" != "$sysroot_debs" ] && sysroot_ok=false
libs_built=false
[ -f "$prefix/lib/libcurl.a" ] && [ -f "$prefix/lib/libcjson.a" ] && libs_built=true
$libs_built && $sysroot_ok && exit 0

mkdir -p "$out/apt/lists/partial" "$out/apt/sources" "$out/apt/cache/archives/partial" \
    "$out/src" "$prefix/lib" "$prefix/include/cjson"
# deb and deb-src entries for the same suites the system's deb entries use
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && sed 's/^Types: deb$/Types: deb deb-src/' "$f" >"$out/apt/sources/$(basename "$f")"
done
if [ -f /etc/apt/sources.list ]; then
    grep -E '^deb ' /etc/apt/sources.list | sed 'p; s/^deb /deb-src /' >"$out/apt/sources/sources.list" || true
fi
APT="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$out/apt/sources -o Dir::State::Lists=$out/apt/lists -o Dir::State::status=/dev/null -o Dir::Cache=$out/apt/cache -o Debug::NoLocking=1 -o APT::Sandbox::User=root"
if [ -n "$cross" ]; then
    APT="$APT -o APT::Architecture=$arch -o APT::Architectures::=$arch"
fi
# shellcheck disable=SC2086
apt-get $APT update -q >/dev/null

cppflags="" ldflags=""
if [ -n "$cross" ]; then
    sysroot=$out/sysroot
    if ! $sysroot_ok; then
        echo "static-deps: unpacking Debian's $arch $sysroot_debs into a sysroot" >&2
        rm -rf "$sysroot" "$out/debs"
        mkdir -p "$sysroot" "$out/debs"
        # shellcheck disable=SC2086
        (cd "$out/debs" && apt-get $APT download $sysroot_debs >/dev/null 2>&1)
        for deb in "$out/debs"/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
        for d in $sysroot_debs; do
            ls "$out/debs/${d}_"*.deb >/dev/null 2>&1 || { echo "static-deps: could not download $d ($arch)" >&2; exit 1; }
        done
        echo "$sysroot_debs" >"$sysroot/.packages"
    fi
    $libs_built && exit 0
    cppflags="-I$sysroot/usr/include -I$sysroot/usr/include/$cross"
    ldflags="-L$sysroot/usr/lib/$cross"
    export PKG_CONFIG_LIBDIR="$sysroot/usr/lib/$cross/pkgconfig:$sysroot/usr/share/pkgconfig"
    export PKG_CONFIG_SYSROOT_DIR="$sysroot"
    export PKG_CONFIG_PATH=""
fi

echo "static-deps: fetching Debian source packages curl and cjson" >&2
cd "$out/src"
# shellcheck disable=SC2086
apt-get $APT source --download-only curl cjson >/dev/null 2>&1
rm -rf curl-src cjson-src
dpkg-source --no-check -x curl_*.dsc curl-src >/dev/null
dpkg-source --no-check -x cjson_*.dsc cjson-src >/dev/null

echo "static-deps: building cJSON ($arch)" >&2
$cc -O2 -fPIC -std=c89 -c cjson-src/cJSON.c -o cJSON.o
${cross:+$cross-}ar rcs "$prefix/lib/libcjson.a" cJSON.o
cp cjson-src/cJSON.h "$prefix/include/cjson/cJSON.h"

# configure cannot probe these on the build machine when cross-compiling: say what a
# native build finds, so both architectures get the same libcurl
same_as_native=""
[ -n "$cross" ] && same_as_native="--with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --with-random=/dev/urandom"
echo "static-deps: building a minimal static libcurl (HTTP/HTTPS only, $arch)" >&2
cd curl-src
./configure --prefix="$prefix" --disable-shared --enable-static --with-pic \
    ${cross:+--host=$cross} CC="$cc" CPPFLAGS="$cppflags" LDFLAGS="$ldflags" $same_as_native \
    --with-openssl --enable-ares --with-zlib \
    --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp --disable-dict \
    --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smtp --disable-gopher \
    --disable-mqtt --disable-smb --disable-manual --disable-docs --disable-ntlm \
    --without-libpsl --without-brotli --without-zstd --without-nghttp2 --without-nghttp3 \
    --without-libidn2 --without-librtmp --without-libssh2 --without-libssh --without-gssapi \
    >"$out/curl-configure.log" 2>&1 || { tail -30 "$out/curl-configure.log"; exit 1; }
make -j"$(nproc)" -C lib >"$out/curl-build.log" 2>&1 || { tail -30 "$out/curl-build.log"; exit 1; }
make -C lib install >/dev/null
make -C include install >/dev/null
echo "static-deps: done ($prefix)" >&2
