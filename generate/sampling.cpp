#include "generate/sampling.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"

namespace bog::generate {

void validate(const SamplingOptions& o) {
  if (!(o.temperature >= 0.0f) || !std::isfinite(o.temperature))
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("temperature must be >= 0 (got {})", o.temperature));
  if (o.top_k < 0)
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("top-k must be >= 0 (got {})", o.top_k));
  if (!(o.top_p > 0.0f && o.top_p <= 1.0f))
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("top-p must be in (0, 1] (got {})", o.top_p));
  if (!(o.repetition_penalty > 0.0f) || !std::isfinite(o.repetition_penalty))
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("repetition penalty must be > 0 (got {})", o.repetition_penalty));
}

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

void apply_repetition_penalty(std::span<float> logits, std::span<const int64_t> seen,
                              float penalty) {
  if (penalty == 1.0f) return;
  // Each distinct token once: mark by flipping through a sorted copy would allocate, so a token
  // seen twice is found by scanning the earlier part (prompts are short next to vocabularies).
  for (size_t i = 0; i < seen.size(); ++i) {
    const int64_t t = seen[i];
    if (t < 0 || t >= static_cast<int64_t>(logits.size())) continue;
    if (std::find(seen.begin(), seen.begin() + static_cast<std::ptrdiff_t>(i), t) !=
        seen.begin() + static_cast<std::ptrdiff_t>(i))
      continue;
    float& l = logits[static_cast<size_t>(t)];
    l = l > 0 ? l / penalty : l * penalty;
  }
}

void filter_candidates(std::span<const float> logits, const SamplingOptions& o,
                       std::vector<Candidate>& out) {
  out.clear();
  const float temperature = o.temperature > 0 ? o.temperature : 1.0f;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (std::isnan(logits[i])) continue;
    out.push_back({static_cast<int64_t>(i), logits[i] / temperature});
  }
  const auto better = [](const Candidate& a, const Candidate& b) {
    return a.prob > b.prob || (a.prob == b.prob && a.token < b.token);
  };
  size_t keep = out.size();
  if (o.top_k > 0 && static_cast<size_t>(o.top_k) < keep) {
    keep = static_cast<size_t>(o.top_k);
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(),
                      better);
    out.resize(keep);
  } else {
    std::sort(out.begin(), out.end(), better);
  }
  if (out.empty()) return;
  // Softmax over the kept logits (shifted by the max), in double for the cumulative sum.
  const double mx = out.front().prob;
  double sum = 0;
  for (Candidate& c : out) {
    const double e = std::isinf(c.prob) && c.prob < 0 ? 0.0 : std::exp(c.prob - mx);
    c.prob = static_cast<float>(e);
    sum += e;
  }
  // top-p: the smallest prefix whose mass reaches p (at least one token).
  size_t n = out.size();
  if (o.top_p < 1.0f) {
    double acc = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      acc += out[i].prob / sum;
      if (acc >= o.top_p) {
        n = i + 1;
        break;
      }
    }
    out.resize(n);
  }
  double kept = 0;
  for (const Candidate& c : out) kept += c.prob;
  for (Candidate& c : out) c.prob = static_cast<float>(c.prob / kept);
}

int64_t next_token(std::span<float> logits, std::span<const int64_t> seen, const SamplingOptions& o,
                   Rng& rng, std::vector<Candidate>& scratch) {
  apply_repetition_penalty(logits, seen, o.repetition_penalty);
  const bool sampling = o.temperature > 0 || o.top_k > 0 || o.top_p < 1.0f;
  if (!sampling) {
    size_t best = 0;
    float best_v = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < logits.size(); ++i) {
      if (logits[i] > best_v) {  // the first maximum, as argmax does
        best_v = logits[i];
        best = i;
      }
    }
    return static_cast<int64_t>(best);
  }
  filter_candidates(logits, o, scratch);
  if (scratch.empty()) return 0;
  const double u = rng.uniform();
  double acc = 0;
  for (const Candidate& c : scratch) {
    acc += c.prob;
    if (u < acc) return c.token;
  }
  return scratch.back().token;
}

}  // namespace bog::generate
