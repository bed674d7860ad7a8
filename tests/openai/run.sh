#!/usr/bin/env bash
# ctest entry `openai_client`: bog serve's /v1 routes driven by the official `openai` npm
# package (tests/openai/node_modules, installed by `make ort-deps` with npm ci). Without node or
# the package it reports a skip (exit 77) and says why.
set -euo pipefail
bog="$1"
root="$2"
here="$root/tests/openai"
if ! command -v node >/dev/null 2>&1; then
  echo "openai_client: SKIPPED: node is not installed"
  exit 77
fi
if [ ! -d "$here/node_modules/openai" ]; then
  echo "openai_client: SKIPPED: $here/node_modules is absent (make ort-deps runs npm ci there)"
  exit 77
fi
exec node "$here/openai_client_test.js" "$bog" "$root/models/agnews-lm"
