#!/bin/sh
# Runs the DynamoDB store's C tests (given as arguments) against a fresh dynalite.
# With VALGRIND=1 they run under memcheck.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/tapi-ddb-XXXXXX")
DYNALITE_PID=""
trap '[ -n "$DYNALITE_PID" ] && kill "$DYNALITE_PID" 2>/dev/null; rm -rf "$work"' EXIT INT TERM
start_dynalite "$work" || exit 1
"$here/../run_unit.sh" "$@"
