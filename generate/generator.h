// The decode loop: token ids in, token ids out, over any decoder graph in the optimum naming
// (decoder_spec.h). Prefill runs the (left-padded) prompts with a zero-length past; each decode
// step feeds one token per row with the KV cache of the steps before.
//
// Cache modes:
//   kShared   one buffer per layer for the whole generation, past and present sharing it (the
//             idea of ONNX Runtime GenAI's past_present_share_buffer); the session appends each
//             step's keys and values in place and attention reads the cache where it lies
//             (needs the cpu provider's in-place KV fusion; kv_cache.h)
//   kFeedBack each step's present tensors are fed back as the next past (what ONNX Runtime
//             users do); the graph's Concat copies the whole cache every step
//   kNone     no cache: every step recomputes the whole sequence (--no-cache, the baseline)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "generate/decoder_spec.h"
#include "generate/sampling.h"
#include "onnx_runtime/session.h"

namespace bog::generate {

enum class CacheMode { kShared, kFeedBack, kNone };
const char* cache_mode_name(CacheMode mode);  // "shared", "feed-back", "none"

struct GenerationOptions {
  int max_new_tokens = 64;
  SamplingOptions sampling;
  std::vector<int64_t> eos_ids;  // any of them ends a row ("stop")
  int64_t pad_id = 0;            // fed for left padding and for rows that have finished
  int64_t context_length = 0;    // prompt + generated never exceeds it ("length"); 0: no limit
  int64_t vocab_limit = 0;       // token ids must be < this (0: the logits' width)
  // Preferred cache mode; kShared falls back to kFeedBack when the session cannot share the
  // buffer (the result says which ran, and why).
  CacheMode cache = CacheMode::kShared;
};

struct RowResult {
  std::vector<int64_t> tokens;  // generated ids (the stop token included when it was EOS)
  std::string finish_reason;    // "stop" or "length"
};

struct GenerationResult {
  std::vector<RowResult> rows;
  int64_t prompt_tokens = 0;  // over all rows, without padding
  int64_t decode_tokens = 0;  // tokens chosen in decode steps (the first one comes from prefill)
  double prefill_ms = 0;
  std::vector<double> decode_ms;  // one per decode step
  CacheMode cache = CacheMode::kShared;
  std::string cache_note;  // why the preferred mode did not run, if it did not
  // Bytes the session copied into the KV cache per decode step (kShared: the new token's keys
  // and values; kFeedBack: the whole cache via Concat), one per decode step.
  std::vector<int64_t> cache_bytes_copied;
  double decode_ms_per_token_p50() const;
  double decode_tokens_per_s() const;  // generated tokens of all rows / decode time
};

// Called with (row, token) as each token is chosen; return false to stop that row ("stop",
// the token kept): how `--stop TEXT` and streaming work without a tokenizer here.
using TokenCallback = std::function<bool(size_t row, int64_t token)>;

// Called once per step (0: prefill) with that step's logits output [batch, sequence, vocab],
// before any token is chosen from it: how parity compares every step with another model's
// logits without the loop keeping them. Unset, it costs one test per step.
using LogitsCallback = std::function<void(int step, const runtime::Tensor& logits)>;

class Generator {
 public:
  // The session must outlive the generator. Throws Error(kInvalidModel) for a graph without
  // the naming.
  explicit Generator(runtime::Session& session);
  ~Generator();
  const DecoderSpec& spec() const;

  // Prompts of any lengths (at least one token each); Error(kInvalidArgument) for an empty
  // prompt, a token id outside the vocabulary, max_new_tokens < 1, a prompt that does not fit
  // the context, or bad sampling options.
  GenerationResult generate(const std::vector<std::vector<int64_t>>& prompts,
                            const GenerationOptions& options, const TokenCallback& on_token = {},
                            const LogitsCallback& on_logits = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bog::generate
