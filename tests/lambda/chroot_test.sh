#!/bin/sh
# Proves lambda.zip is self-contained: it holds one executable `bootstrap` that is a
# static binary, repacking it gives the same bytes, and unzipped into an otherwise empty root (a static busybox as /bin/sh is
# all it has) it passes the whole contract suite through the Runtime API emulator on the
# DynamoDB store. Prints the package size and the init time measured there.
# A zip for the other architecture (arm64 on an x86_64 machine) runs the same way under
# qemu-user-static, copied into the root: correctness only, emulated time means nothing.
# Usage: tests/lambda/chroot_test.sh build/lambda[-arm64].zip build/tasks-api
set -u
zip=$1
tasks_api=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/tapi-chroot-XXXXXX")
DYNALITE_PID=""
trap '[ -n "$DYNALITE_PID" ] && kill "$DYNALITE_PID" 2>/dev/null; rm -rf "$work"' EXIT INT TERM
fail() { echo "package-test: $*"; exit 1; }

entries=$(unzip -Z1 "$zip")
[ "$entries" = bootstrap ] || fail "zip must hold exactly 'bootstrap', holds: $entries"
unzip -Z "$zip" | grep -q '^-rwxr-xr-x.* bootstrap$' || fail "bootstrap is not mode 755 in the zip"

root=$work/root
mkdir -p "$root/bin" "$root/var/task" "$root/tmp"
cp /bin/busybox "$root/bin/sh"
unzip -q "$zip" -d "$root/var/task"
file "$root/var/task/bootstrap" | grep -q 'statically linked' || fail "bootstrap is not static: $(file "$root/var/task/bootstrap")"
if ldd "$root/var/task/bootstrap" >/dev/null 2>&1; then fail "ldd sees dynamic dependencies"; fi
host=$(uname -m | sed 's/aarch64/arm64/')
case $(basename "$zip") in *-arm64.zip) arch=arm64 ;; *) arch=x86_64 ;; esac
"$here/../../scripts/check-elf-arch.sh" "$root/var/task/bootstrap" "$arch" || fail "$(basename "$zip") must hold an $arch bootstrap"
CONTRACT_CPU_EMULATOR=""
if [ "$arch" != "$host" ]; then
    qemu=qemu-$(echo "$arch" | sed 's/arm64/aarch64/')-static
    command -v "$qemu" >/dev/null || fail "$qemu is needed to run an $arch bootstrap here"
    cp "$(command -v "$qemu")" "$root/bin/$qemu"
    CONTRACT_CPU_EMULATOR=/bin/$qemu
fi
export CONTRACT_CPU_EMULATOR
glibc=$(strings "$root/var/task/bootstrap" | grep -o 'GLIBC_2\.[0-9]*' | sort -uV | tail -n 1)
[ -z "$glibc" ] || fail "bootstrap references versioned glibc symbols ($glibc)"
scripts_dir=$(cd "$here/../../scripts" && pwd)
"$scripts_dir/make-zip.sh" "$root/var/task/bootstrap" "$work/again.zip"
cmp -s "$zip" "$work/again.zip" || fail "packing the same bootstrap again gave different bytes"
ls "$root" | sort | tr '\n' ' ' | grep -qx 'bin tmp var ' || fail "unexpected files in the root"

start_dynalite "$work" || exit 1
"$tasks_api" create-table --wait 30 2>"$work/create.log" || { cat "$work/create.log"; exit 1; }

TASKS_STORE=dynamodb CONTRACT_TRANSPORT=lambda CONTRACT_CHROOT=$root CONTRACT_BOOTSTRAP=/var/task/bootstrap \
    CONTRACT_INIT_REPORT=$work/init-ms \
    node --test --test-reporter=dot "$here/../contract/api.test.mjs" "$here/../contract/conditional.test.mjs" "$here/../contract/filter.test.mjs" "$here/../contract/idempotency.test.mjs" || fail "contract suite failed in the chroot"
# and as deployed with the Cognito authorizer: the claims-based owners of the static build
node "$here/../contract/auth_tokens.mjs" "$work/auth" >/dev/null || exit 1
TASKS_STORE=dynamodb TASKS_AUTH=cognito CONTRACT_AUTH_DIR=$work/auth CONTRACT_TRANSPORT=lambda CONTRACT_CHROOT=$root \
    CONTRACT_BOOTSTRAP=/var/task/bootstrap \
    node --test --test-reporter=dot "$here/../contract/api.test.mjs" "$here/../contract/auth.test.mjs" ||
    fail "contract suite with authentication failed in the chroot"
emulated=""
[ -n "$CONTRACT_CPU_EMULATOR" ] && emulated=" under $(basename "$CONTRACT_CPU_EMULATOR")"
echo "package-test: $(basename "$zip") $(stat -c %s "$zip") bytes; static $arch bootstrap$emulated passed the contract suite (authentication off and on) in an empty chroot; init $(cat "$work/init-ms") ms"
