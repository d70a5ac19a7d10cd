#!/bin/sh
# Starts the given tasks-api binary on a free loopback port, runs the contract suite
# against it over HTTP, then stops it with SIGTERM and checks that it shut down cleanly
# (exit 0, no sanitizer report).
# Usage: tests/contract/run.sh build/tasks-api
#        tests/contract/run.sh build/bootstrap     (TRANSPORT=lambda)
#   TRANSPORT=http (default): the local server over a socket.
#   TRANSPORT=lambda: the bootstrap through the Lambda Runtime API emulator; requests
#     become API Gateway proxy events.
#   STORE=sqlite (default): a fresh SQLite file.
#   STORE=dynamodb: dynalite on loopback, table created with `tasks-api create-table`.
#   STORE=dynamodb_external: the DynamoDB store on the endpoint, table and credentials
#     already in the environment (AWS_ENDPOINT_URL_DYNAMODB, TABLE_NAME, AWS_*).
#   VALGRIND=1: the server runs under memcheck; any leak or error fails the run.
#   PRISM=1: Stoplight Prism (npm, pinned) runs as a validating proxy in front of the local
#     server and the suite goes through it; every response Prism finds at odds with
#     docs/openapi.yaml (its sl-violations header) fails the run. Requests the suite sends
#     to break the contract on purpose are Prism's request violations, not counted.
#   AUTH=1: authentication on, with keys made for this run: the local server verifies
#     tokens against their JWKS; the bootstrap gets TASKS_AUTH=cognito and events carry
#     the claims the gateway's authorizer would pass. Adds auth.test.mjs.
set -u
bin=$1
store=${STORE:-sqlite}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/tapi-contract-XXXXXX")
log="$work/server.log"
pid=""
DYNALITE_PID=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    [ -n "$DYNALITE_PID" ] && kill "$DYNALITE_PID" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

if [ "$store" = dynamodb ]; then
    start_dynalite "$work" || exit 1
    "${TASKS_API_BIN:-$bin}" create-table --wait 30 2>"$work/create.log" || { cat "$work/create.log"; exit 1; }
fi

tests="$here/api.test.mjs $here/conditional.test.mjs $here/filter.test.mjs $here/idempotency.test.mjs $here/http_semantics.test.mjs"
auth_flags=""
auth_note=""
if [ "${AUTH:-0}" = 1 ]; then
    ids=$(node "$here/auth_tokens.mjs" "$work/auth") || exit 1 # prints "ISSUER AUDIENCE"
    export CONTRACT_AUTH_DIR="$work/auth"
    tests="$tests $here/auth.test.mjs"
    auth_flags="--auth-jwks $work/auth/jwks.json --auth-issuer ${ids% *} --auth-audience ${ids#* }"
    auth_note=", authentication on"
fi

if [ "${TRANSPORT:-http}" = lambda ]; then
    [ -n "$auth_note" ] && export TASKS_AUTH=cognito
    TASKS_STORE=${store%_external} TASKS_DB="$work/tasks.db" CONTRACT_TRANSPORT=lambda CONTRACT_BOOTSTRAP=$bin \
        node --test --test-reporter=dot $tests
    rc=$?
    [ $rc -eq 0 ] && echo "contract: $bin through the Lambda Runtime API (store $store, ${CONTRACT_APIGW_SHAPE:-stage} events$auth_note) passed"
    exit $rc
fi

wrap=""
if [ "${VALGRIND:-0}" = 1 ]; then
    wrap="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"
fi
: >"$log"
TASKS_STORE=${store%_external} $wrap "$bin" serve --host 127.0.0.1 --port 0 --db "$work/tasks.db" $auth_flags 2>"$log" &
pid=$!

url=$(wait_for_line "$log" 's/.*listening on \(http:[^ ]*\).*/\1/p' "$pid")
if [ -z "$url" ]; then
    echo "contract: server did not start"; cat "$log"; exit 1
fi

prism_pid=""
via=""
if [ "${PRISM:-0}" = 1 ]; then
    prism_port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
    "$here/../../node_modules/.bin/prism" proxy "$here/../../docs/openapi.yaml" "$url" --host 127.0.0.1 \
        --port "$prism_port" >"$work/prism.log" 2>&1 &
    prism_pid=$!
    for _ in $(seq 1 100); do
        grep -q "Prism is listening" "$work/prism.log" && break
        sleep 0.1
    done
    grep -q "Prism is listening" "$work/prism.log" || { echo "contract: prism did not start"; cat "$work/prism.log"; exit 1; }
    : >"$work/violations.jsonl"
    export CONTRACT_PRISM_VIOLATIONS="$work/violations.jsonl" CONTRACT_DIRECT_URL="$url"
    url="http://127.0.0.1:$prism_port"
fi
CONTRACT_TRANSPORT=http CONTRACT_BASE_URL=$url CONTRACT_SERVER_LOG=$log node --test --test-reporter=dot $tests
rc=$?
if [ -n "$prism_pid" ]; then
    kill "$prism_pid" 2>/dev/null
    if [ -s "$work/violations.jsonl" ]; then
        echo "contract: Prism found responses at odds with docs/openapi.yaml:"; head -c 4000 "$work/violations.jsonl"; rc=1
    fi
    routes=$(cat "$work/violations.jsonl.routes" 2>/dev/null)
    through=$(printf %s "$routes" | tr -cd p | wc -c)
    [ "$through" -gt 0 ] || { echo "contract: no request went through Prism"; rc=1; }
    via=" through Prism ($through requests validated, $(printf %s "$routes" | tr -cd d | wc -c) malformed below JSON sent directly)"
fi

kill -TERM "$pid"
wait "$pid"
src=$?
pid=""
if [ $src -ne 0 ]; then
    echo "contract: server exited with $src after SIGTERM"; tail -n 50 "$log"; rc=1
fi
if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$log"; then
    echo "contract: sanitizer report in server log"; grep -A30 -E "Sanitizer|runtime error" "$log" | head -60; rc=1
fi
grep -q '"msg":"stopped"' "$log" || { echo "contract: no clean shutdown line"; rc=1; }
[ $rc -eq 0 ] && echo "contract: $bin (store $store$auth_note)${wrap:+ under valgrind}$via passed ($(grep -c '"msg":"request"' "$log") requests served)"
exit $rc
