# Shell helpers shared by the test runners (sourced, not executed).

# wait_for_line FILE SED_EXPR PID: prints the first match of SED_EXPR in FILE, waiting up
# to 30 s while PID lives; prints nothing on failure.
wait_for_line() {
    _i=0
    while [ $_i -lt 300 ]; do
        _m=$(sed -n "$2" "$1" | head -n 1)
        if [ -n "$_m" ]; then echo "$_m"; return 0; fi
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.1
        _i=$((_i + 1))
    done
    return 1
}

# start_dynalite DIR: starts dynalite, exports DYNALITE_PID and the AWS_* / TABLE_NAME
# environment the DynamoDB store reads (dummy credentials: dynalite checks the
# signature's shape, not the secret).
start_dynalite() {
    : >"$1/dynalite.log"
    node "$(dirname "$0")/../dynamodb/dynalite.mjs" >"$1/dynalite.log" 2>&1 &
    DYNALITE_PID=$!
    _port=$(wait_for_line "$1/dynalite.log" 's/^dynalite listening on \([0-9]*\)$/\1/p' "$DYNALITE_PID")
    if [ -z "$_port" ]; then
        echo "dynalite did not start"; cat "$1/dynalite.log"; return 1
    fi
    export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$_port"
    export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIDTESTTESTTEST AWS_SECRET_ACCESS_KEY=test-secret
    export AWS_SESSION_TOKEN=test-session-token
    export TABLE_NAME=${TABLE_NAME:-tasks-test}
}
