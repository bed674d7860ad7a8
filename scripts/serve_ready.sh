# Sourced by the serving load scripts: start_bog_serve LOG ARGS... starts `bog serve ARGS` in the
# background with its output in LOG, waits until it says it is ready, and sets SERVE_PID and
# SERVE_PORT; it prints the log and exits 1 when the server does not get ready.
start_bog_serve() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  SERVE_PID=$!
  SERVE_PORT=""
  for _ in $(seq 1 600); do
    if grep -q "ready" "$log"; then
      SERVE_PORT=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$log")
      break
    fi
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$SERVE_PORT" ]; then
    echo "bog serve did not become ready:" >&2
    cat "$log" >&2
    kill "$SERVE_PID" 2>/dev/null || true
    exit 1
  fi
}
