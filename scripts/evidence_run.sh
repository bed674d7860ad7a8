#!/usr/bin/env bash
# The run behind docs/evidence/ and the README's results: the pipeline on the default bundle
# (export, check, parity, benchmark matrix, accuracy), then the same side-by-side benchmark for
# the modern encoder and for the PyTorch-exported classifiers (parity first, as always), then
# one evidence collect, the quantization report (scripts/quant_report.sh), and validate over all of
# it. Run on an otherwise idle machine.
#   scripts/evidence_run.sh [DATA_DIR] [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
BOG=${BOG:-build/bog}
DATA=${1:-${BOG_DATA_DIR:-../shared/data/ag_news}}
OUT=${2:-runs/evidence-run}
rm -rf "$OUT" "$OUT.pipeline-evidence"
mkdir -p "$OUT"

"$BOG" pipeline --bundle models/agnews-tiny-llama --data "$DATA" --also-eval models/agnews-modern models/agnews-tuned \
  --out "$OUT" --evidence "$OUT.pipeline-evidence" --samples 256 --iterations 20 --warmup 2

# The modern encoder: its own export, parity on reference/cpu/ORT, then cpu and ORT side by side.
mkdir -p "$OUT/modern"
"$BOG" export --bundle models/agnews-modern --out "$OUT/modern/model.onnx"
"$BOG" parity --bundle models/agnews-modern --onnx "$OUT/modern/model.onnx" \
  --providers reference,cpu,ort --data "$DATA" --samples 256 --batch-sizes 1,8
"$BOG" bench --onnx "$OUT/modern/model.onnx" --bundle models/agnews-modern --backends cpu,ort \
  --batch 1,32 --seq 128 --threads 1,2 --warmup 5 --iterations 40 --rounds 4 --out "$OUT/modern/bench"

# PyTorch's own exports (tests/fixtures/torch/bench): parity on their test sets, then bench.
for m in bert llama; do
  mkdir -p "$OUT/torch-$m"
  cp "tests/fixtures/torch/bench/${m}_bench.onnx" "$OUT/torch-$m/"
  "$BOG" parity --onnx "$OUT/torch-$m/${m}_bench.onnx" --inputs "tests/fixtures/torch/bench/${m}_bench" \
    --providers cpu,ort
  "$BOG" bench --onnx "$OUT/torch-$m/${m}_bench.onnx" --backends cpu,ort --batch 1,32 --seq 128 \
    --threads 1,2 --warmup 5 --iterations 40 --rounds 4 --out "$OUT/torch-$m/bench"
done

"$BOG" evidence collect --from "$OUT" --out docs/evidence
# The quantization report (its own run folder) replaces the collect's "no quantized artifact".
scripts/quant_report.sh "$(dirname "$BOG")" "$DATA"
"$BOG" evidence validate docs/evidence --readme README.md
