#!/usr/bin/env bash
# Runs the libFuzzer target for a bounded time: scripts/fuzz.sh BUILD_DIR SECONDS
# The seed corpus (conformance models) is read-only; new inputs go to BUILD_DIR/fuzz/corpus.
# Exits non-zero on any crash, sanitizer report, leak, timeout or out-of-memory; the input
# that caused it is saved under BUILD_DIR/fuzz/findings/ (turn it into a regression test:
# copy it to fuzz/regressions/ and tests/fuzz replays it).
set -euo pipefail
build=${1:-build-fuzz}
seconds=${2:-60}
fuzzer="$build/fuzz/bog_fuzz_load_run"
corpus="$build/fuzz/corpus"
findings="$build/fuzz/findings"
mkdir -p "$corpus" "$findings"
# The user's limits for an untrusted model: allocations over 1 GiB fail as a clean error
# (allocator_may_return_null), 4 GiB resident at most, 20 s per input (the conformance
# runner's per-case timeout).
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:max_allocation_size_mb=1024:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
set +e
"$fuzzer" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "$build/fuzz/seed_corpus" \
  fuzz/regressions 2>&1 | tee "$build/fuzz/last_run.log" | grep -v -E '^#[0-9]+\s+(NEW|REDUCE)'
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  echo "fuzz: FAILED (exit $status); reproducer in $findings/" >&2
  exit "$status"
fi
echo "fuzz: no crash, leak or timeout in ${seconds}s ($(grep -E '^stat::number_of_executed_units' "$build/fuzz/last_run.log" | awk '{print $2}') executions)"
