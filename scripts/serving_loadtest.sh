#!/usr/bin/env bash
# Load-tests `bog serve` with dynamic batching on and off: for each, starts the server on a free
# loopback port, runs `bog loadtest` (64 connections, 30 s by default) and writes the result
# to OUT/batching-{on,off}.json. Usage: scripts/serving_loadtest.sh [OUT] [SECONDS] [CONNECTIONS]
# BOG_SERVE_ARGS adds `bog serve` flags to both runs (e.g. "--max-wait-ms 0"); BOG_LOADTEST_ARGS
# adds `bog loadtest` flags (e.g. "--data ../shared/data/ag_news": articles instead of headlines).
set -euo pipefail

out=${1:-runs/serving}
seconds=${2:-30}
connections=${3:-64}
bog=${BOG:-build/bog}
bundle=${BOG_BUNDLE_DIR:-models/agnews-tiny-llama}
mkdir -p "$out"
# shellcheck source=scripts/serve_ready.sh
source "$(dirname "$0")/serve_ready.sh"

for batching in on off; do
  # shellcheck disable=SC2086  # BOG_SERVE_ARGS is a list of flags
  start_bog_serve "$out/serve-$batching.log" "$bog" serve --bundle "$bundle" --port 0 \
    --batching "$batching" ${BOG_SERVE_ARGS:-}
  pid=$SERVE_PID
  port=$SERVE_PORT
  echo "batching $batching (port $port):"
  status=0
  # shellcheck disable=SC2086  # BOG_LOADTEST_ARGS is a list of flags
  "$bog" loadtest --port "$port" --connections "$connections" --duration "$seconds" \
    ${BOG_LOADTEST_ARGS:-} --out "$out/batching-$batching.json" || status=$?
  kill -TERM "$pid"
  wait "$pid"
  [ "$status" -eq 0 ] || exit "$status"
done
