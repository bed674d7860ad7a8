// Deterministic stratified train/validation split.
#include <fmt/format.h>

#include <array>
#include <cmath>
#include <limits>
#include <random>

#include "common/error.h"
#include "model/data/ag_news.h"

namespace bog::model {
namespace {

// Uniform integer in [0, bound) by rejection, so the draw depends only on mt19937_64's
// (standardised) output and not on the library's uniform_int_distribution.
uint64_t uniform_below(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t limit =
      std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % bound;
  uint64_t x;
  do {
    x = rng();
  } while (x >= limit);
  return x % bound;
}

}  // namespace

Split stratified_split(std::vector<Example> examples, double valid_fraction, uint64_t seed) {
  if (!(valid_fraction >= 0.0 && valid_fraction < 1.0)) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("valid_fraction must be in [0, 1), got {}", valid_fraction));
  }
  std::array<std::vector<size_t>, kAgNewsNumClasses> by_class;
  for (size_t i = 0; i < examples.size(); ++i) {
    const int label = examples[i].label;
    if (label < 0 || label >= kAgNewsNumClasses) {
      throw Error(
          ErrorCategory::kInvalidArgument,
          fmt::format("example {} has label {}, expected 0..{}", i, label, kAgNewsNumClasses - 1));
    }
    by_class[static_cast<size_t>(label)].push_back(i);
  }
  std::mt19937_64 rng(seed);
  std::vector<char> is_valid(examples.size(), 0);
  for (auto& indices : by_class) {
    for (size_t i = indices.size(); i > 1; --i) {
      std::swap(indices[i - 1], indices[uniform_below(rng, i)]);
    }
    const auto take = static_cast<size_t>(std::llround(indices.size() * valid_fraction));
    for (size_t k = 0; k < take && k < indices.size(); ++k) is_valid[indices[k]] = 1;
  }
  Split split;
  for (size_t i = 0; i < examples.size(); ++i) {
    (is_valid[i] ? split.valid : split.train).push_back(std::move(examples[i]));
  }
  return split;
}

}  // namespace bog::model
