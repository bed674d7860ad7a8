// Choosing the next token from one row of logits, in the usual order: repetition penalty,
// temperature, top-k, top-p, then a seeded draw. Greedy (argmax after the penalty) when
// temperature is 0 and neither top-k nor top-p is set; top-k or top-p alone sample at
// temperature 1. The draw uses its own 64-bit generator and arithmetic, so a seed gives the
// same tokens on every platform and standard library.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace bog::generate {

struct SamplingOptions {
  float temperature = 0.0f;  // 0: greedy
  int top_k = 0;             // 0: off
  float top_p = 1.0f;        // (0, 1]; 1: off
  float repetition_penalty =
      1.0f;  // > 0; 1: off (CTRL's rule: divide positive logits, multiply negative)
  uint64_t seed = 0;
};

// Throws Error(kInvalidArgument) for a temperature < 0, top_k < 0, top_p outside (0, 1] or a
// repetition penalty <= 0.
void validate(const SamplingOptions& options);

// SplitMix64: small, fast, and the same sequence everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  double uniform();  // [0, 1), 53 bits
 private:
  uint64_t state_;
};

// Applies the penalty to the logits of tokens in `seen` in place (each distinct token once).
void apply_repetition_penalty(std::span<float> logits, std::span<const int64_t> seen,
                              float penalty);

// The candidates after temperature, top-k and top-p: token ids with their probabilities
// (renormalised, sorted by probability, ties by lower id). Exposed for tests.
struct Candidate {
  int64_t token;
  float prob;
};
void filter_candidates(std::span<const float> logits, const SamplingOptions& options,
                       std::vector<Candidate>& out);

// The next token of one row. `seen` is the row's prompt and generated tokens (for the penalty);
// `logits` is modified in place. `scratch` keeps its capacity between calls.
int64_t next_token(std::span<float> logits, std::span<const int64_t> seen,
                   const SamplingOptions& options, Rng& rng, std::vector<Candidate>& scratch);

}  // namespace bog::generate
