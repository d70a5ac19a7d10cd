#!/bin/sh
# `make bench`: all three benchmarks in one run, then the report (bench/results/latest.json,
# latest.md, throughput.png). BENCH_QUICK=1 for a short run (< 2 minutes).
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "bench: 1/3 Lambda door vs the Python + boto3 baseline" >&2
node bench/lambda_bench.mjs "$tmp/lambda.json" >/dev/null
echo "bench: 2/3 local server vs nginx (wrk)" >&2
node bench/http_bench.mjs "$tmp/http.json" >/dev/null
echo "bench: 3/3 scale and memory" >&2
node bench/scale_bench.mjs "$tmp/scale.json" >/dev/null
node bench/report.mjs "$tmp/lambda.json" "$tmp/http.json" "$tmp/scale.json"
