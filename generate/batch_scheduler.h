// Continuous batching over one decoder session: sequences join and leave a running batch at
// token boundaries, each with its own row (slot) of one shared, fixed-capacity KV cache.
//
//   submit ─► queue ─► prefill (batch 1, in chunks of prefill_chunk tokens, one chunk per step)
//          ─► join: its keys and values are copied right-aligned into a free row
//          ─► every step: ONE batched decode over all active rows ─► leave at its end
//
// Rows are left-padded to a common past length P: row r's tokens fill cache columns
// [P - len_r, P), attention_mask is 0 before them, position_ids count the row's own tokens, so a
// row decodes as it would alone. Active rows are kept in rows [0, n) (a leaver's row takes the
// last row's cache); when P reaches the capacity, the columns that are padding in every row are
// dropped (shifted out). No row is ever recomputed.
//
// Single-threaded: submit(), step() and the callbacks run on the caller's thread. Needs a
// session whose KV cache is appended in place (SessionOptions::kv_cache with the cpu provider).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "generate/generator.h"
#include "onnx_runtime/session.h"

namespace bog::generate {

struct SchedulerOptions {
  int max_active = 16;      // rows decoded together; 1: one sequence at a time
  int prefill_chunk = 32;   // prompt tokens per prefill run
  int64_t capacity = 0;     // cache columns per row: the context length (> 1)
  int64_t pad_id = 0;       // fed in padding columns (masked)
  int64_t vocab_limit = 0;  // token ids must be < this (0: the logits' width)
};

struct SequenceRequest {
  std::vector<int64_t> prompt;
  int max_new_tokens = 16;
  SamplingOptions sampling;
  std::vector<int64_t> eos_ids;
  // Called with each token as it is chosen; false stops the sequence ("stop", token kept).
  std::function<bool(int64_t token)> on_token;
  // Called once at the end: finish_reason "stop", "length" or "cancelled".
  std::function<void(const RowResult& result)> on_done;
  // Polled before every step; true ends the sequence ("cancelled") and frees its row.
  std::function<bool()> cancelled;
};

// Counters since construction (what /metrics and --profile show).
struct SchedulerStats {
  int64_t decode_steps = 0;
  int64_t decode_rows = 0;  // sum over decode steps of the rows decoded
  int64_t prefill_runs = 0;
  int64_t prefill_tokens = 0;
  int64_t tokens = 0;                    // tokens chosen (prefill's first ones included)
  int64_t cache_shifts = 0;              // padding columns dropped when P reached the capacity
  double decode_ms = 0, prefill_ms = 0;  // whole steps: session runs, sampling, callbacks
  double decode_session_ms = 0;          // of decode_ms, inside Session::run
};

class BatchScheduler {
 public:
  // The session must outlive the scheduler. Error(kUnsupported) when it cannot share its cache,
  // Error(kInvalidArgument) for bad options.
  BatchScheduler(runtime::Session& session, SchedulerOptions options);
  ~BatchScheduler();
  BatchScheduler(const BatchScheduler&) = delete;
  BatchScheduler& operator=(const BatchScheduler&) = delete;

  // Queues a sequence; Error(kInvalidArgument) for an empty prompt, an id outside the
  // vocabulary, a prompt that leaves no room in the capacity, max_new_tokens < 1 or bad
  // sampling options (nothing is queued then).
  void submit(SequenceRequest request);
  // Drops cancelled sequences, runs one prefill chunk when a sequence waits and a row is free,
  // then one decode step over the active rows. False when there was nothing to do.
  bool step();

  [[nodiscard]] size_t active() const;   // rows decoding
  [[nodiscard]] size_t waiting() const;  // queued or prefilling
  [[nodiscard]] const SchedulerStats& stats() const;
  [[nodiscard]] const SchedulerOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bog::generate
