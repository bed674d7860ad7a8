#include "tune/sampler.h"

#include <fmt/format.h>

#include <cmath>

#include "common/error.h"

namespace bog::tune {
namespace {

class RandomSampler final : public Sampler {
 public:
  std::vector<double> sample(const SearchSpace& space, const History&,
                             std::mt19937_64& rng) const override {
    return uniform_point(space, rng);
  }
  std::string name() const override { return "random"; }
};

double radical_inverse(uint64_t index, uint64_t base) {
  double result = 0;
  double f = 1.0 / static_cast<double>(base);
  while (index > 0) {
    result += f * static_cast<double>(index % base);
    index /= base;
    f /= static_cast<double>(base);
  }
  return result;
}

}  // namespace

const std::vector<std::string>& sampler_names() {
  static const std::vector<std::string> kNames = {"gp", "random", "tpe"};
  return kNames;
}

std::unique_ptr<Sampler> make_random_sampler() { return std::make_unique<RandomSampler>(); }

std::unique_ptr<Sampler> make_sampler(std::string_view name, const SamplerOptions& options) {
  if (name == "gp") return make_gp_sampler(options);
  if (name == "random") return make_random_sampler();
  if (name == "tpe") return make_tpe_sampler(options);
  throw Error(ErrorCategory::kInvalidArgument,
              fmt::format("unknown sampler '{}' (known: gp, random, tpe)", name));
}

std::vector<double> from_unit_cube(const SearchSpace& space, const std::vector<double>& u) {
  std::vector<double> x(space.size());
  for (size_t i = 0; i < space.size(); ++i) {
    const auto& p = space.params()[i];
    if (p.kind == ParamKind::kCategorical) {
      const auto k = static_cast<double>(p.choices.size());
      x[i] = std::min(k - 1, std::floor(u[i] * k));
    } else {
      x[i] = u[i];
    }
  }
  return space.canonical(x);
}

std::vector<double> uniform_point(const SearchSpace& space, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> u(space.size());
  for (auto& v : u) v = unit(rng);
  return from_unit_cube(space, u);
}

std::vector<double> halton_point(size_t dims, uint64_t index, uint64_t seed) {
  static const uint64_t kPrimes[] = {2,  3,  5,  7,  11, 13, 17, 19, 23, 29, 31, 37, 41,
                                     43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97};
  std::mt19937_64 shift_rng(seed ^ 0x9E3779B97F4A7C15ULL);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<double> u(dims);
  for (size_t d = 0; d < dims; ++d) {
    const uint64_t base = kPrimes[d % std::size(kPrimes)];
    // Dimensions beyond the prime table reuse a base with a different shift.
    const double v = radical_inverse(index + 1, base) + unit(shift_rng);
    u[d] = v - std::floor(v);
  }
  return u;
}

}  // namespace bog::tune
