#!/bin/sh
# Refuses a bootstrap built for another machine than the one asked for, so a zip can never
# silently carry the wrong architecture (Lambda would fail every invocation with
# Runtime.InvalidEntrypoint / "exec format error").
# Usage: scripts/check-elf-arch.sh FILE x86_64|arm64
set -eu
file=$1
arch=$2
case $arch in
    x86_64) want=62 ;;   # EM_X86_64
    arm64) want=183 ;;   # EM_AARCH64
    *) echo "check-elf-arch: unknown architecture '$arch' (x86_64 or arm64)" >&2; exit 2 ;;
esac
# plain od options only: this also runs on macOS (scripts/package-in-container.sh)
magic=$(od -A n -t x1 -N 4 "$file" | tr -d ' \n')
class=$(od -A n -t u1 -j 4 -N 1 "$file" | tr -d ' \n')
# e_machine: 2 bytes at offset 18, little-endian on both targets
set -- $(od -A n -t u1 -j 18 -N 2 "$file")
machine=$(( ${1:-0} + 256 * ${2:-0} ))
if [ "$magic" != 7f454c46 ] || [ "$class" != 2 ]; then
    echo "check-elf-arch: $file is not a 64-bit ELF executable" >&2
    exit 1
fi
if [ "$machine" != "$want" ]; then
    case $machine in 62) got=x86_64 ;; 183) got=arm64 ;; *) got="machine $machine" ;; esac
    echo "check-elf-arch: $file is built for $got, but $arch was asked for" >&2
    exit 1
fi
