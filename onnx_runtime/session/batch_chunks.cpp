// Chunks: a separable graph's large batch as cache-sized runs of the step executor, the
// outputs copied row by row into whole-batch tensors (batch_runner.h).
#include <unistd.h>

#include <algorithm>
#include <limits>

#include "common/error.h"
#include "onnx_runtime/session/batch_runner.h"

namespace bog::runtime::session {

// Samples per chunk for these inputs: fixed, remembered, or 0 (measure it on one sample).
int64_t BatchRunner::known_chunk() const {
  if (batch_chunk_ > 0) return batch_chunk_;
  // With several threads each op is shared between them, and ops on a cache-sized chunk are
  // too small to share well (measured: whole batches are faster at 2 threads).
  if (threads_ > 1) return std::numeric_limits<int64_t>::max();
  for (const ChunkSize& c : chunk_sizes_) {
    bool same = c.sample_shapes.size() == exec_.input_count();
    for (size_t k = 0; k < exec_.input_count() && same; ++k) {
      const Shape& have = exec_.input(k).tensor.shape();
      same = have.size() == c.sample_shapes[k].size() + 1 &&
             std::equal(have.begin() + 1, have.end(), c.sample_shapes[k].begin());
    }
    if (same) return c.chunk;
  }
  return 0;
}

// Enough samples that one chunk's memory plan fills about one core's L2 cache (0 bytes: no
// plan to go by, batches run whole).
void BatchRunner::remember_chunk(size_t one_sample_bytes) {
  long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (l2 <= 0) l2 = 1 << 20;
  const size_t budget = static_cast<size_t>(l2);
  ChunkSize c;
  c.chunk = one_sample_bytes == 0
                ? std::numeric_limits<int64_t>::max()
                : static_cast<int64_t>(std::max<size_t>(1, budget / one_sample_bytes));
  for (size_t k = 0; k < exec_.input_count(); ++k) {
    const Shape& have = exec_.input(k).tensor.shape();
    c.sample_shapes.emplace_back(have.begin() + 1, have.end());
  }
  constexpr size_t kMaxRemembered = 8;
  if (chunk_sizes_.size() >= kMaxRemembered) chunk_sizes_.erase(chunk_sizes_.begin());
  chunk_sizes_.push_back(std::move(c));
}

// Copies chunk rows [start, start + m) of every output into the whole outputs.
void BatchRunner::collect_outputs(int64_t start, int64_t m, int64_t n) {
  split_outputs_.resize(exec_.output_count());
  for (size_t k = 0; k < exec_.output_count(); ++k) {
    const Value& v = exec_.output(k);
    if (v.kind != ValueKind::kTensor) {
      throw Error(ErrorCategory::kInternal, "a chunk's output is not indexed by its samples");
    }
    collect_rows(k, v.tensor, start, m, n);
  }
}

// Runs the batch of n samples in chunks (0: one sample first, to size the rest by its plan).
void BatchRunner::run_chunks(int64_t n, int64_t chunk) {
  const size_t n_in = exec_.input_count();
  for (int64_t start = 0; start < n;) {
    const int64_t m = std::min(chunk == 0 ? 1 : chunk, n - start);
    for (size_t k = 0; k < n_in; ++k)
      exec_.input(k).tensor.assign_rows_of(split_inputs_[k], start, m);
    exec_.run();
    collect_outputs(start, m, n);
    if (chunk == 0) {
      // No plan (shapes that depend on data) or nothing in the arena: nothing to keep in
      // cache, so the rest of such batches runs whole.
      remember_chunk(exec_.plan_bytes_for_inputs());
      chunk = known_chunk();
    }
    start += m;
  }
  install_whole_outputs();
}

void BatchRunner::hold_whole_inputs() {
  split_inputs_.resize(exec_.input_count());
  for (size_t k = 0; k < exec_.input_count(); ++k) {
    split_inputs_[k].assign_view_of(exec_.input(k).tensor);
  }
}

// Puts the whole inputs back in their slots and lets go of them.
void BatchRunner::restore_whole_inputs() {
  for (size_t k = 0; k < exec_.input_count() && k < split_inputs_.size(); ++k) {
    exec_.input(k).tensor.assign_view_of(split_inputs_[k]);
    split_inputs_[k].assign_view_of(Tensor());
  }
  exec_.forget_installed_plan();
}

}  // namespace bog::runtime::session
