#!/bin/sh
# `make run STORE=dynamodb`: serves the API on the DynamoDB store against dynalite (an
# in-memory DynamoDB from npm) on loopback, with the table created exactly as the code
# needs it. Data lives as long as this script runs. Ctrl-C stops both.
# Usage: scripts/run-dynamodb.sh build/tasks-api [serve flags...]
set -eu
bin=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
port=${DYNALITE_PORT:-8000}
node "$here/../tests/dynamodb/dynalite.mjs" "$port" &
dyn=$!
trap 'kill $dyn 2>/dev/null' EXIT INT TERM
export TASKS_STORE=dynamodb
export TABLE_NAME=${TABLE_NAME:-tasks}
export AWS_REGION=${AWS_REGION:-us-east-1}
export AWS_ENDPOINT_URL_DYNAMODB=${AWS_ENDPOINT_URL_DYNAMODB:-http://127.0.0.1:$port}
# dynalite accepts any credentials; these are placeholders, not secrets
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-local}
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-local}
for _ in $(seq 1 50); do
    "$bin" create-table --wait 10 2>/dev/null && break
    sleep 0.2
done
"$bin" serve "$@"
