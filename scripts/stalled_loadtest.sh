#!/usr/bin/env bash
# Issue 29's load: `bog loadtest` (64 connections, 30 s by default) against one `bog serve`,
# first alone, then while STALLED (256) stalled clients hang on (request line and one header,
# then nothing; reopened whenever the server closes them). Writes OUT/{alone,stalled}.json.
# Usage: scripts/stalled_loadtest.sh [OUT] [SECONDS] [CONNECTIONS] [STALLED]
set -euo pipefail
out=${1:-runs/stalled}
seconds=${2:-30}
connections=${3:-64}
stalled=${4:-256}
bog=${BOG:-build/bog}
mkdir -p "$out"
log="$out/serve.log"
"$bog" serve --bundle "${BOG_BUNDLE_DIR:-models/agnews-tiny-llama}" --port 0 >"$log" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
port=""
for _ in $(seq 1 600); do
  if grep -q "ready" "$log"; then
    port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$log")
    break
  fi
  sleep 0.1
done
[ -n "$port" ] || { echo "stalled_loadtest: bog serve did not become ready" >&2; cat "$log" >&2; exit 1; }
echo "alone:"
"$bog" loadtest --port "$port" --connections "$connections" --duration "$seconds" --out "$out/alone.json"
echo "with $stalled stalled clients:"
"$bog" loadtest --port "$port" --connections "$connections" --duration "$seconds" \
  --stalled "$stalled" --out "$out/stalled.json"
curl -s "http://127.0.0.1:$port/metrics" | grep -E '^bog_connections|^bog_streams' >"$out/metrics.txt" || true
