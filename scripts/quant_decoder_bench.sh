#!/usr/bin/env bash
# Quantized decoders (issue 27), figures for docs/evidence/quantized_decoders.md:
#   1. models/agnews-lm: export, weight-int4 / weight-int8 / dynamic-int8 (bog quantize), file
#      sizes, test perplexity of each file on all of test.csv (bog eval --onnx);
#   2. the anchor-size PyTorch decoder (d 512, 8 layers, vocab 32000; scripts/gen_torch_decoder.py,
#      never committed): each quantized file held to our reference kernels and ONNX Runtime on
#      the anchor's inputs (bog parity), then `bog bench --generate` of each quantized file with
#      --baseline-onnx the fp32 file: our loop on the quantized file, ONNX Runtime on it and on
#      the fp32 original, in the same rounds (batch 1, 1 thread, prompt 64).
# Prints one JSON object per measurement to OUT/quant_decoders.jsonl.
#
# usage: scripts/quant_decoder_bench.sh [OUT]     (OUT: runs/quant-decoders)
# env:   BOG (build/bog), PYTHON (/usr/bin/python3 with python3-torch), BOG_DATA_DIR
#        (../shared/data/ag_news), NEW_TOKENS (128), ITERATIONS (3)
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-runs/quant-decoders}
BOG=${BOG:-build/bog}
PYTHON=${PYTHON:-/usr/bin/python3}
DATA=${BOG_DATA_DIR:-../shared/data/ag_news}
NEW_TOKENS=${NEW_TOKENS:-128}
ITERATIONS=${ITERATIONS:-3}
METHODS=(weight-int4 weight-int8 dynamic-int8)
mkdir -p "$OUT"
say() { echo "quant_decoder_bench: $*" >&2; }
[[ -x "$BOG" ]] || { echo "error: $BOG not built (make build)" >&2; exit 2; }
LOG="$OUT/quant_decoders.jsonl"
: >"$LOG"
echo "{\"load_average_before\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >>"$LOG"

# 1. agnews-lm: size and perplexity.
LM="$OUT/agnews-lm.onnx"
"$BOG" export --bundle models/agnews-lm --out "$LM" >&2
for m in fp32 "${METHODS[@]}"; do
  f="$LM"
  if [[ "$m" != fp32 ]]; then
    f="$OUT/agnews-lm.$m.onnx"
    "$BOG" quantize --onnx "$LM" --method "$m" --out "$f" >/dev/null
  fi
  say "perplexity of agnews-lm $m"
  "$BOG" eval --bundle models/agnews-lm --onnx "$f" --data "$DATA" --split test --json |
    sed "s/^{/{\"method\": \"$m\", \"bytes\": $(stat -c %s "$f"), /" >>"$LOG"
done

# 2. The anchor.
A="$OUT/anchor"
if [[ ! -f "$A/llama_anchor.onnx" ]]; then
  say "generating the anchor-size decoder (python3-torch)"
  "$PYTHON" scripts/gen_torch_decoder.py --size anchor --out "$A" 2>"$OUT/anchor_gen.log"
fi
cp "$A/llama_anchor/genai_config.json" "$A/"
# Torch's expected outputs are the fp32 model's: the quantized files are held to our reference
# kernels on the same inputs.
for set in "$A"/llama_anchor/test_data_set_*; do
  mkdir -p "$A/q_inputs/$(basename "$set")"
  cp "$set"/input_*.pb "$A/q_inputs/$(basename "$set")/"
done
"$BOG" parity --onnx "$A/llama_anchor.onnx" --inputs "$A/llama_anchor" \
  --providers reference,cpu,ort --json >"$OUT/anchor_parity.json"
for m in "${METHODS[@]}"; do
  q="$A/anchor.$m.onnx"
  "$BOG" quantize --onnx "$A/llama_anchor.onnx" --method "$m" --out "$q" >/dev/null
  "$BOG" parity --onnx "$q" --inputs "$A/q_inputs" --providers reference,cpu,ort \
    --json >"$OUT/anchor_$m.parity.json"
  say "bench --generate anchor $m (baseline: the fp32 file)"
  "$BOG" bench --generate --onnx "$q" --baseline-onnx "$A/llama_anchor.onnx" --backends cpu,ort \
    --batch 1 --threads 1 --prompt-len 64 --new-tokens "$NEW_TOKENS" --warmup 1 \
    --iterations "$ITERATIONS" --out "$OUT/bench_$m" --json |
    sed "s/^{/{\"method\": \"$m\", \"bytes\": $(stat -c %s "$q"), /" >>"$LOG"
done
echo "{\"load_average_after\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"fp32_bytes\": $(stat -c %s "$A/llama_anchor.onnx")}" >>"$LOG"
say "done: $LOG"
