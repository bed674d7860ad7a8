#!/usr/bin/env bash
# Issue 25's real-size figures (docs/evidence/real_sizes.md), parity first:
#   1. the three PyTorch exports (scripts/gen_torch_fixtures.py --real; hundreds of MB, never
#      committed), made when absent;
#   2. peak RSS of one batch-1 run, ours (`bog run`) and ONNX Runtime's (bench/ort/run_ort.js),
#      both by GNU time -v, on every model;
#   3. `bog parity` (fp32 on cpu and ort; bf16 on cpu), then `bog bench` at batch 1 / 1 thread
#      and batch 8 / 2 threads, fp32 and bf16, cpu and ort side by side.
# Prints one line per figure; the bench reports land in OUT/<model>_<cell>_<precision>/.
#
# usage: scripts/real_sizes.sh [OUT]       (OUT: runs/real_sizes)
# env:   BOG (build/bog), PYTHON (/usr/bin/python3 with python3-torch), MODELS (the three),
#        SKIP_BENCH=1 (memory only)
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-runs/real_sizes}
BOG=${BOG:-build/bog}
PYTHON=${PYTHON:-/usr/bin/python3}
MODELS=${MODELS:-minilm_l6 bert_base llama_d512}
say() { echo "real_sizes: $*" >&2; }
[[ -x "$BOG" ]] || { echo "error: $BOG not built (make build)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "error: GNU time (/usr/bin/time) is needed for peak RSS" >&2; exit 2; }
[[ -d bench/ort/node_modules/onnxruntime-node ]] || make ort-deps

for m in $MODELS; do
  if [[ ! -f "$OUT/$m.onnx" ]]; then
    say "generating the real-size exports (python3-torch)"
    "$PYTHON" scripts/gen_torch_fixtures.py --real "$OUT" >"$OUT.gen.log" 2>&1
    break
  fi
done

rss_mb() {  # peak RSS in MB of the command, by GNU time -v
  /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ {printf "%.0f", $2 / 1024}'
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$("$BOG" --help >/dev/null; rss_mb "$BOG" --help) MB peak RSS of bog --help"
for m in $MODELS; do
  M="$OUT/$m.onnx"
  D="$OUT/$m/test_data_set_0"
  echo "$m: file $(($(stat -c %s "$M") / 1000000)) MB"
  echo "$m: bog run cpu fp32 $(rss_mb "$BOG" run "$M" --data "$D" --provider cpu) MB"
  echo "$m: bog run cpu bf16 $(rss_mb "$BOG" run "$M" --data "$D" --provider cpu --precision bf16) MB"
  echo "$m: onnxruntime-node $(rss_mb node bench/ort/run_ort.js --model "$M" --input-dir "$D") MB"
done
[[ "${SKIP_BENCH:-0}" == 1 ]] && exit 0

for m in $MODELS; do
  M="$OUT/$m.onnx"
  say "parity of $m"
  "$BOG" parity --onnx "$M" --inputs "$OUT/$m" --providers cpu,ort --threads 2 >/dev/null
  "$BOG" parity --onnx "$M" --inputs "$OUT/$m" --providers cpu --precision bf16 >/dev/null
  for p in fp32 bf16; do
    say "bench $m $p"
    "$BOG" bench --onnx "$M" --backends cpu,ort --batch 1 --seq 128 --threads 1 --iterations 20 \
      --rounds 4 --warmup 2 --precision "$p" --out "$OUT/${m}_b1t1_$p" >/dev/null
    "$BOG" bench --onnx "$M" --backends cpu,ort --batch 8 --seq 128 --threads 2 --iterations 8 \
      --rounds 4 --warmup 1 --precision "$p" --out "$OUT/${m}_b8t2_$p" >/dev/null
    for cell in b1t1 b8t2; do
      jq -r --arg m "$m" --arg c "$cell" --arg p "$p" '.rows[] | "\($m) \($c) \($p) \(.backend):\(.provider_requested): p50 \(.p50_ms) ms, \(.samples_per_s) samples/s, \(.gflops) GFLOP/s (\(.flops_source)), \(.gemm_peak_fraction) of peak, rss \(.peak_rss_mb) MB"' \
        "$OUT/${m}_${cell}_$p/bench.json"
    done
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
