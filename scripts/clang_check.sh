#!/usr/bin/env bash
# Compiles every C++ file of the tree with clang (Debian 12: clang 14) as a syntax-and-warnings
# check: scripts/clang_check.sh BUILD_DIR JOBS
# The build is gcc's; the house rule is that it also compiles with clang under -Wall -Wextra
# -Werror (clang 14 rejects, e.g., a structured binding captured by a lambda). The fuzz build
# (`make fuzz`) compiles the runtime with clang for real; this covers the rest of the tree
# (model, export, parity, quant, bench, tune, serve, cli, tests) without linking it, in about
# half the time of a build. Exits non-zero on the first file that clang rejects.
set -euo pipefail
build=${1:-build-clang}
jobs=${2:-$(nproc)}
if [ ! -f "$build/compile_commands.json" ]; then
  # The same options as the gcc build (CUDA sources are nvcc's, not clang's: left out).
  CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBOG_CUDA=OFF \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
fi
# Generated sources (protobuf, embedded files) must exist before their users compile.
gen_targets=$(ninja -C "$build" -t targets all | awk -F': ' '$2 == "CUSTOM_COMMAND" && $1 ~ /\.(cpp|h)$/ {print $1}')
if [ -n "$gen_targets" ]; then
  # shellcheck disable=SC2086
  ninja -C "$build" $gen_targets >/dev/null
fi
# compile_commands.json as CMake writes it: one `"command": "..."` line per file. Each becomes
# the same command with -fsyntax-only instead of its object output.
list=$(mktemp)
trap 'rm -f "$list"' EXIT
grep -E '^\s*"command": ' "$build/compile_commands.json" |
  sed -E 's/^\s*"command": "(.*)",?$/\1/; s/\\"/"/g; s/\\\\/\\/g; s#^[^ ]*ccache ##' |
  grep -E '^[^ ]*clang\+\+ ' |
  sed -E 's/ -o [^ ]+/ -fsyntax-only/; s/ -MD -MT [^ ]+ -MF [^ ]+//' >"$list"
count=$(wc -l <"$list")
if [ "$count" -eq 0 ]; then
  echo "clang-check: no clang++ compile commands in $build/compile_commands.json" >&2
  exit 1
fi
cd "$build"
# xargs stops at the first failing command (exit 255 from the wrapper) and clang prints why.
if ! tr '\n' '\0' <"$list" | xargs -0 -P "$jobs" -n 1 sh -c 'eval "$0" || exit 255'; then
  echo "clang-check: FAILED (clang rejects a file above)" >&2
  exit 1
fi
echo "clang-check: $count files compile with $(clang++ --version | head -1) under -Werror"
