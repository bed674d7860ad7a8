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
# The demo's evidence goes to runs/ so a demo never rewrites the committed docs/evidence/ (that
# comes from the full run in the README). With the AG News data at hand, accuracy rows are added.
DATA_DIR=${BOG_DATA_DIR:-../shared/data/ag_news}
DATA_ARGS=()
if [ -f "$DATA_DIR/test.csv" ] && [ -f "$DATA_DIR/train.csv" ]; then
  DATA_ARGS=(--data "$DATA_DIR")
else
  echo "no AG News data at $DATA_DIR: no accuracy rows (set BOG_DATA_DIR to add them)"
fi
if [ -f "$PIPELINE_BUNDLE/manifest.json" ]; then
  "$BOG" pipeline --bundle "$PIPELINE_BUNDLE" --out runs/pipeline \
    --evidence runs/demo-evidence "${DATA_ARGS[@]}"
else
  echo "skipped: no bundle at $PIPELINE_BUNDLE (train one, or set PIPELINE_BUNDLE)"
fi

step "generation: export models/agnews-lm, check its generation parity, continue a prompt"
LM_BUNDLE=${LM_BUNDLE:-models/agnews-lm}
if [ -f "$LM_BUNDLE/manifest.json" ]; then
  mkdir -p runs/demo-lm
  "$BOG" export --bundle "$LM_BUNDLE" --out runs/demo-lm/agnews-lm.onnx
  # Fewer prompts than the evidence run (32 x 64 tokens): the demo shows the check, quickly.
  if [ ${#DATA_ARGS[@]} -gt 0 ]; then
    "$BOG" parity --bundle "$LM_BUNDLE" --onnx runs/demo-lm/agnews-lm.onnx --generate \
      --providers reference,cpu,ort --prompts 4 --new-tokens 32 "${DATA_ARGS[@]}"
  else
    echo "no AG News data: generation parity (its prompts come from test.csv) skipped"
  fi
  "$BOG" generate --onnx runs/demo-lm/agnews-lm.onnx --tokenizer "$LM_BUNDLE/tokenizer.model" \
    --prompt "Oil prices rose on Monday as" --max-new-tokens 40
else
  echo "skipped: no LM bundle at $LM_BUNDLE"
fi

printf '\ndemo finished\n'
