#!/usr/bin/env bash
# Generation under load, continuous batching against --no-batching, side by side: for each
# round, starts `bog serve` (an LM bundle) on a free loopback port with batching, runs
# `bog loadtest --generate` (16 streams, 30 s, 64 tokens each by default), stops it, then the
# same with --no-batching; the load average is recorded before each run. Writes
# OUT/{batching,no-batching}-ROUND.json and prints a Markdown table of every run.
# Usage: scripts/generation_serving_bench.sh [OUT] [SECONDS] [CONCURRENCY] [MAX_TOKENS] [ROUNDS]
set -euo pipefail

out=${1:-runs/generation-serving}
seconds=${2:-30}
concurrency=${3:-16}
max_tokens=${4:-64}
rounds=${5:-2}
bog=${BOG:-build/bog}
bundle=${BOG_BUNDLE_DIR:-models/agnews-lm}
mkdir -p "$out"
# shellcheck source=scripts/serve_ready.sh
source "$(dirname "$0")/serve_ready.sh"

run_one() {  # NAME [serve flags...]
  local name=$1
  shift
  start_bog_serve "$out/serve-$name.log" "$bog" serve --bundle "$bundle" --port 0 "$@"
  local pid=$SERVE_PID port=$SERVE_PORT
  local load
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  local status=0
  "$bog" loadtest --generate --port "$port" --concurrency "$concurrency" --duration "$seconds" \
    --max-tokens "$max_tokens" --out "$out/$name.json" >/dev/null || status=$?
  # What the server saw (rows per decode step) and the CPU it used (utime + stime, seconds).
  curl -s "http://127.0.0.1:$port/metadata" >"$out/$name.metadata.json" || true
  local cpu
  cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$pid/stat")
  kill -TERM "$pid"
  wait "$pid" || true
  [ "$status" -eq 0 ] || exit "$status"
  python3 - "$out/$name.json" "$out/$name.metadata.json" "$name" "$load" "$cpu" <<'PY' 2>/dev/null ||
import json, sys
j = json.load(open(sys.argv[1]))
g = json.load(open(sys.argv[2]))["generation"]
print("| {} | {} | {} | {} | {:.1f} | {:.2f} | {:.1f} | {:.1f} | {:.2f} | {:.2f} | {:.2f} | {:.3f} | {:.3f} | {} | {} |".format(
    sys.argv[3], j["requests"], j["ok"], j["failed"], j["tokens_per_s"], j["requests_per_s"],
    j["ttft_ms_p50"], j["ttft_ms_p99"], j["itl_ms_p50"], j["itl_ms_p99"],
    g["mean_rows_per_step"], g["decode_ms_per_step"], g["decode_session_ms_per_step"],
    sys.argv[5], sys.argv[4]))
PY
    echo "| $name | $(cat "$out/$name.json" | tr -d '\n') | $load |"
}

echo "| run | requests | ok | failed | tokens/s | req/s | TTFT p50 ms | TTFT p99 ms | ITL p50 ms | ITL p99 ms | rows/step | step ms | session ms/step | server CPU s | load avg before |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for round in $(seq 1 "$rounds"); do
  run_one "batching-$round"
  run_one "no-batching-$round" --no-batching
done
