#!/bin/sh
# Runs the randomized fault test (chaos.mjs) on both doors: the local server on the
# DynamoDB store, and the packaged bootstrap (from the Lambda zip) through the Runtime
# API emulator. Usage: run.sh TASKS_API LAMBDA_ZIP SECONDS_PER_RUN [TOTAL_SECONDS]
# With TOTAL_SECONDS, runs alternate between the doors with fresh seeds until that much
# time has passed (make chaos); without, one run per door (make test). CHAOS_SEED fixes
# the first run's seed.
set -u
bin=$1 zip=$2 each=$3 total=${4:-0}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tapi-chaos-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
unzip -q -o "$zip" bootstrap -d "$work" || { echo "chaos: cannot unpack $zip"; exit 2; }
seed_arg() { if [ -n "${CHAOS_SEED:-}" ]; then echo "--seed $CHAOS_SEED"; CHAOS_SEED=""; fi; }
start=$(date +%s) runs=0 failed=0
while :; do
    for door in server lambda; do
        # shellcheck disable=SC2046
        timeout $((each + 180)) node "$here/chaos.mjs" --door "$door" --seconds "$each" --bin "$bin" --bootstrap "$work/bootstrap" \
            --dump "$work/failed-history.json" $(seed_arg) || failed=$((failed + 1))
        runs=$((runs + 1))
        [ "$failed" -gt 0 ] && [ -f "$work/failed-history.json" ] && cp "$work/failed-history.json" "${TMPDIR:-/tmp}/tasks-api-chaos-failure.json" \
            && echo "chaos: the failing history is kept in ${TMPDIR:-/tmp}/tasks-api-chaos-failure.json"
    done
    [ "$failed" -gt 0 ] && break
    [ $(( $(date +%s) - start )) -ge "$total" ] && break
done
echo "chaos: $runs run(s) in $(( $(date +%s) - start )) s, $failed failed"
[ "$failed" -eq 0 ]
