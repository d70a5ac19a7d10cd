#!/bin/sh
# Runs each unit-test binary given; with VALGRIND=1 under memcheck, failing on any error
# or on memory definitely or indirectly lost.
set -u
fail=0
for t in "$@"; do
    if [ "${VALGRIND:-0}" = 1 ]; then
        valgrind -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
            "$t" >"$t.log" 2>&1
    else
        "$t" >"$t.log" 2>&1
    fi
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "FAIL $t (exit $rc)"
        cat "$t.log"
        fail=1
    else
        echo "ok   $t ($(grep -c '\[       OK \]' "$t.log") tests${VALGRIND:+, valgrind clean})"
    fi
done
exit $fail
