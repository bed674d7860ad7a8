// Generation parity, step by step: one provider's logits and greedy tokens against the Eigen
// model's for the same prompts. A step's logits are compared only while the provider's tokens
// so far equal the eager ones (after that the two continue different texts); the first token
// that differs is the divergence.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <vector>

#include "model/layers/tensor.h"
#include "parity/compare.h"
#include "parity/tolerance.h"

namespace bog::parity {

// The eager run of one prompt: prefill logits [prompt, vocab], one logits row per decode step
// [new_tokens - 1, vocab] (the logits after each fed token) and the greedy tokens they chose.
struct EagerGeneration {
  model::Mat prefill;
  model::Mat decode;
  std::vector<int64_t> tokens;  // new_tokens ids; token k comes from step k (0: prefill)
};

struct Divergence {
  int prompt = 0;
  int step = 0;          // index of the generated token (0: the one chosen from the prefill)
  int64_t expected = 0;  // eager's token
  int64_t got = 0;       // the provider's
};

// Per provider: what the report's `generate` section holds.
struct GenerationParity {
  double max_abs_diff_prefill = 0;
  double max_abs_diff_decode = 0;
  int64_t prefill_positions = 0;  // prompt positions compared, over all prompts
  int64_t steps_compared = 0;     // decode steps compared, over all prompts
  int prompts = 0;
  bool tokens_identical = false;
  std::optional<Divergence> first_divergence;
  Comparison comparison;  // every compared logits row, merged

  [[nodiscard]] nlohmann::json to_json() const;
};

class StepComparer {
 public:
  // `eager` must outlive this; the tolerance's atol bounds every compared logit.
  StepComparer(const std::vector<EagerGeneration>& eager, const Tolerance& tolerance);

  // The logits of step `step` (0: prefill) for every prompt: [prompts, seq, vocab] row-major,
  // seq the prompt length at step 0 and 1 after. Call before that step's tokens.
  void logits(int step, std::span<const float> data, int64_t seq, int64_t vocab);
  // Prompt `prompt`'s token chosen at step `step`.
  void token(size_t prompt, int step, int64_t id);

  // The figures; tokens_identical needs every prompt's every token to have been seen.
  [[nodiscard]] GenerationParity finish() const;

 private:
  const std::vector<EagerGeneration>& eager_;
  Tolerance tolerance_;
  std::vector<bool> in_step_;     // per prompt: its tokens so far equal eager's
  std::vector<int> tokens_seen_;  // per prompt
  GenerationParity result_;
  bool compared_ = false;
};

}  // namespace bog::parity
