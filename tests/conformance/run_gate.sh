#!/usr/bin/env bash
# The conformance gate as a ctest entry: tests/conformance/run_gate.sh BOG_EXE SOURCE_DIR PROVIDERS
# Runs `bog conformance` on ONNX's backend node cases against expected_pass.txt (a listed case
# that stops passing fails). Without the cases it exits 77, which ctest reports as skipped,
# after one line saying why.
set -euo pipefail
bog=$1
root=$2
providers=$3
dir=${BOG_CONFORMANCE_DIR:-$root/../shared/onnx-conformance/node}
if [ ! -d "$dir" ]; then
  echo "conformance gate ($providers) skipped: no ONNX node test cases at $dir" \
    "(set BOG_CONFORMANCE_DIR to onnx/backend/test/data/node)"
  exit 77
fi
exec "$bog" conformance "$dir" --provider "$providers" \
  --expected "$root/tests/conformance/expected_pass.txt"
