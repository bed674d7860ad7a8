// Samplers propose the next point of a study from the trials so far. They are stateless: every
// call sees the whole history (as a worker reads it from the study database), so any number of
// processes can sample for one study.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tune/search_space.h"

namespace bog::tune {

struct Observation {
  std::vector<double> x;  // encoded point (SearchSpace::encode)
  double loss = 0;        // minimised
};

struct History {
  std::vector<Observation> done;             // finished trials (complete or pruned)
  std::vector<std::vector<double>> running;  // points being evaluated right now
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  // The next encoded point (canonical: SearchSpace::canonical of itself).
  [[nodiscard]] virtual std::vector<double> sample(const SearchSpace& space, const History& history,
                                                   std::mt19937_64& rng) const = 0;
  [[nodiscard]] virtual std::string name() const = 0;
};

struct SamplerOptions {
  int n_startup = -1;  // trials drawn before the model takes over; -1: the sampler's default
  uint64_t seed = 0;   // the quasi-random start's shift
};

// "gp" (default), "random" or "tpe"; anything else throws Error(kInvalidArgument).
[[nodiscard]] std::unique_ptr<Sampler> make_sampler(std::string_view name,
                                                    const SamplerOptions& options = {});
[[nodiscard]] const std::vector<std::string>& sampler_names();

// A unit-cube point in the encoded space (categoricals: choice floor(u * k)).
[[nodiscard]] std::vector<double> from_unit_cube(const SearchSpace& space,
                                                 const std::vector<double>& u);
[[nodiscard]] std::vector<double> uniform_point(const SearchSpace& space, std::mt19937_64& rng);
// Point `index` of a Halton sequence in `dims` dimensions, shifted modulo 1 by a seed-derived
// offset (Cranley-Patterson rotation), so each seed gets its own low-discrepancy design.
[[nodiscard]] std::vector<double> halton_point(size_t dims, uint64_t index, uint64_t seed);

std::unique_ptr<Sampler> make_random_sampler();
std::unique_ptr<Sampler> make_tpe_sampler(const SamplerOptions& options);
std::unique_ptr<Sampler> make_gp_sampler(const SamplerOptions& options);

}  // namespace bog::tune
