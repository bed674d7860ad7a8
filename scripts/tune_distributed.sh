#!/usr/bin/env bash
# The README's "Tuning on several machines" run on one host: a throwaway PostgreSQL
# (tests/tune/with_postgres.sh), WORKERS `bog tune` workers on one study of CONFIG, worker 1
# killed with SIGKILL while it runs a trial, then the report and every trial's state, worker and
# retry link read back from the database (and by Optuna, when python3-optuna is installed).
#   scripts/tune_distributed.sh DATA_DIR [OUT_DIR]
# Environment: CONFIG (configs/tune.small.yaml), TRIALS (6), WORKERS (4), ROWS (4000: the first
# rows of train.csv, to keep it short; 0 for all), KILL_AFTER_S (15: the earliest kill; it
# waits until worker 1 is in a trial, its first one is claimed at once), HEARTBEAT_S (2), GRACE_S (6).
set -euo pipefail
data=${1:?usage: scripts/tune_distributed.sh DATA_DIR [OUT_DIR]}
out=${2:-runs/tune-distributed}
config=${CONFIG:-configs/tune.small.yaml}
trials=${TRIALS:-6}
workers=${WORKERS:-4}
rows=${ROWS:-4000}
bog=${BOG:-build/bog}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ "$rows" -gt 0 ]; then
  mkdir -p "$out/data"
  head -n "$rows" "$data/train.csv" >"$out/data/train.csv"
  cp "$data/test.csv" "$out/data/"
  data=$out/data
fi
export out data config trials workers bog
export KILL_AFTER_S=${KILL_AFTER_S:-15} HEARTBEAT_S=${HEARTBEAT_S:-2} GRACE_S=${GRACE_S:-6}
exec bash tests/tune/with_postgres.sh bash -c '
set -euo pipefail
url=$BOG_TEST_POSTGRES_URL
q() { psql "$url" -X -A -t -F " " -c "$1"; }
start=$(date +%s)
pids=()
for w in $(seq 1 "$workers"); do
  OMP_NUM_THREADS=1 "$bog" tune --config "$config" --data "$data" --storage "$url" \
    --study agnews-small --out "$out/worker$w" --trials "$trials" \
    --heartbeat-s "$HEARTBEAT_S" --grace-s "$GRACE_S" >"$out/worker$w.log" 2>&1 &
  pids+=($!)
done
victim=${pids[0]}
sleep "$KILL_AFTER_S"
running=""
for _ in $(seq 1 600); do
  running=$(q "SELECT t.number FROM trials t JOIN trial_system_attributes a USING (trial_id)
               WHERE a.key = '"'"'bog:worker'"'"' AND t.state = '"'"'RUNNING'"'"'
               AND a.value_json::json->>'"'"'pid'"'"' = '"'"'$victim'"'"'" || true)
  [ -n "$running" ] && break
  if ! kill -0 "$victim" 2>/dev/null; then
    echo "worker 1 ended before it was seen in a trial: lower KILL_AFTER_S" >&2
    exit 1
  fi
  sleep 0.2
done
kill -9 "$victim"
echo "killed worker 1 (pid $victim) with SIGKILL $(( $(date +%s) - start )) s after the start, during its trial $running"
for p in "${pids[@]:1}"; do wait "$p"; done
wait "$victim" || true
echo "study finished $(( $(date +%s) - start )) s after the start"
"$bog" tune report --storage "$url" --study agnews-small --markdown "$out/report.md" --html "$out/report.html" >/dev/null
cat "$out/report.md"
echo
echo "number state worker_pid retry_of attempts"
q "SELECT t.number, t.state,
          (SELECT a.value_json::json->>'"'"'pid'"'"' FROM trial_system_attributes a
            WHERE a.trial_id = t.trial_id AND a.key = '"'"'bog:worker'"'"'),
          COALESCE((SELECT a.value_json FROM trial_system_attributes a
            WHERE a.trial_id = t.trial_id AND a.key = '"'"'failed_trial'"'"'), '"'"'-'"'"'),
          (SELECT a.value_json FROM trial_system_attributes a
            WHERE a.trial_id = t.trial_id AND a.key = '"'"'bog:attempts'"'"')
     FROM trials t ORDER BY t.number"
if python3 -c "import optuna, psycopg2" 2>/dev/null; then
  echo
  python3 scripts/optuna_read_study.py "$url" agnews-small
else
  echo "(python3-optuna and python3-psycopg2 not installed: no Optuna read-back)"
fi
'
