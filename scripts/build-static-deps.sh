#!/bin/sh
# Builds the static libraries the Lambda bootstrap links that Debian does not ship as .a
# files: a minimal libcurl (HTTP/HTTPS only, OpenSSL, c-ares so DNS needs no glibc NSS,
# zlib) and cJSON — both from Debian's own source packages, fetched with apt-get source
# through a private sources list (the system's apt configuration is not touched).
# Everything lands in build/static/; nothing is committed. Idempotent: a finished build
# is not redone.
# Usage: scripts/build-static-deps.sh [BUILD_DIR]
set -eu
out=$(cd "$(dirname "$0")/.." && pwd)/${1:-build}/static
prefix=$out/prefix
[ -f "$prefix/lib/libcurl.a" ] && [ -f "$prefix/lib/libcjson.a" ] && exit 0

mkdir -p "$out/apt/lists/partial" "$out/apt/sources" "$out/src" "$prefix/lib" "$prefix/include/cjson"
# deb-src entries for the same suites the system's deb entries use
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && sed 's/^Types: deb$/Types: deb-src/' "$f" >"$out/apt/sources/$(basename "$f")"
done
if [ -f /etc/apt/sources.list ]; then
    grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' >"$out/apt/sources/sources.list" || true
fi
APT="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$out/apt/sources -o Dir::State::Lists=$out/apt/lists -o Debug::NoLocking=1"
echo "static-deps: fetching Debian source packages curl and cjson" >&2
# shellcheck disable=SC2086
apt-get $APT update -q >/dev/null
cd "$out/src"
# shellcheck disable=SC2086
apt-get $APT source --download-only curl cjson >/dev/null 2>&1
rm -rf curl-src cjson-src
dpkg-source --no-check -x curl_*.dsc curl-src >/dev/null
dpkg-source --no-check -x cjson_*.dsc cjson-src >/dev/null

echo "static-deps: building cJSON" >&2
cc -O2 -fPIC -std=c89 -c cjson-src/cJSON.c -o cJSON.o
ar rcs "$prefix/lib/libcjson.a" cJSON.o
cp cjson-src/cJSON.h "$prefix/include/cjson/cJSON.h"

echo "static-deps: building a minimal static libcurl (HTTP/HTTPS only)" >&2
cd curl-src
./configure --prefix="$prefix" --disable-shared --enable-static --with-pic \
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
