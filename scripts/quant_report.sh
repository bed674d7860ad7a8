#!/usr/bin/env bash
# Quantization evidence: exports both shipped bundles, quantizes each with every method and
# measures fp32 and quantized artifacts (accuracy on all 7,600 test rows in the interpreter and
# in ONNX Runtime, agreement with fp32, size, speed at seq 128 with 2 threads). The summary
# (quantization.json / .md / .svg) lands in docs/evidence/.
# Usage: scripts/quant_report.sh [BUILD_DIR] [DATA_DIR]
set -euo pipefail
build=${1:-build}
data=${2:-${BOG_DATA_DIR:-../shared/data/ag_news}}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/report
for bundle in models/agnews-tiny-llama models/agnews-modern; do
  name=$(basename "$bundle")
  "$build"/bog export --bundle "$bundle" --out "$work/$name.onnx"
  for method in dynamic-int8 weight-int8 weight-int4; do
    nice "$build"/bog quantize --onnx "$work/$name.onnx" --method "$method" \
      --out "$work/$name.$method.onnx" --report "$out" --bundle "$bundle" --data "$data" \
      --threads 2
  done
done
mkdir -p docs/evidence
cp "$out"/quantization.json "$out"/quantization.md "$out"/quantization.svg docs/evidence/
echo "wrote docs/evidence/quantization.{json,md,svg}"
