#!/usr/bin/env bash
# `make demo`: what this build can do, then the shipped demo model inspected and run on random
# inputs and on its checked-in test data (with --compare). Needs only the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
BOG=${BOG:-build/bog}
MODEL=models/demo/mlp.onnx

step() { printf '\n== %s\n' "$*"; }

step "bog doctor"
"$BOG" doctor

step "bog inspect $MODEL"
"$BOG" inspect "$MODEL"

step "bog run $MODEL --random --dim batch=2 --verbose"
"$BOG" run "$MODEL" --random --dim batch=2 --verbose

step "bog run $MODEL --data models/demo/test_data_set_0 --compare"
"$BOG" run "$MODEL" --data models/demo/test_data_set_0 --compare

step "bog pipeline (export -> check -> parity -> bench -> evidence collect -> validate)"
PIPELINE_BUNDLE=${PIPELINE_BUNDLE:-models/agnews-tiny-llama}
if [ -f "$PIPELINE_BUNDLE/manifest.json" ]; then
  "$BOG" pipeline --bundle "$PIPELINE_BUNDLE" --out runs/pipeline --evidence docs/evidence
else
  echo "skipped: no bundle at $PIPELINE_BUNDLE (train one, or set PIPELINE_BUNDLE)"
fi

printf '\ndemo finished\n'
