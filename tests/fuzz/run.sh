#!/bin/sh
# Runs each libFuzzer target for SECONDS: first over its kept regression inputs (crashes
# found before), then fuzzing from its seed corpus. Any crash, leak, timeout or sanitizer
# report fails the run and leaves the input in build/fuzz/crashes/.
# Usage: tests/fuzz/run.sh SECONDS build/fuzz/fuzz_body ...
set -u
secs=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
fail=0
for bin in "$@"; do
    name=$(basename "$bin" | sed 's/^fuzz_//')
    work=$(dirname "$bin")/work/$name
    crashes=$(dirname "$bin")/crashes
    mkdir -p "$work" "$crashes"
    if ls "$here/regressions/$name"/* >/dev/null 2>&1; then
        "$bin" -runs=0 "$here/regressions/$name"/* >"$work.regress.log" 2>&1 ||
            { echo "FAIL fuzz $name: a kept regression input fails again"; tail -30 "$work.regress.log"; fail=1; continue; }
    fi
    if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=70000 \
        -artifact_prefix="$crashes/$name-" "$work" "$here/corpus/$name" >"$work.log" 2>&1; then
        echo "ok   fuzz $name: $(grep -o 'Done [0-9]* runs' "$work.log" | head -n1) in ${secs}s, corpus $(ls "$work" | wc -l)"
    else
        echo "FAIL fuzz $name"; grep -A40 -E "ERROR|runtime error|Timeout|leak" "$work.log" | head -60; fail=1
    fi
done
exit $fail
