#!/usr/bin/env bash
# Requests per second one core of the sandbox serves: the server is pinned to CPU 0,
# wrk (apt: wrk) to CPU 1. Run from the workspace root after
#   cargo build --release -p payorch-sandbox --bin payorch-sandbox
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${BIN:-target/release/payorch-sandbox}"
addr="127.0.0.1:${PORT:-18090}"
taskset -c 0 "$bin" --listen "$addr" --capacity 200000 2>/dev/null &
server=$!
trap 'kill "$server"' EXIT
sleep 1
echo "== GET /_sandbox/health (cheap endpoint)"
taskset -c 1 wrk -t1 -c64 -d10s "http://$addr/_sandbox/health" | grep -E "Requests/sec|Latency|requests in|Non-2xx"
echo "== POST /cybersource/risk/v1/authentications (signed enrollment, new OTP each)"
python3 "$here/signed_enrollment.py" "$addr" > /tmp/payorch-sandbox-enroll.lua
taskset -c 1 wrk -t1 -c64 -d10s -s /tmp/payorch-sandbox-enroll.lua "http://$addr" | grep -E "Requests/sec|Latency|requests in|Non-2xx"
curl -s "http://$addr/_sandbox/calls"; echo
