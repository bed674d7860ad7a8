#include "model/layers/tensor.h"

#include <cmath>
#include <numbers>

namespace bog::model {

float uniform_sample(std::mt19937_64& rng) {
  return static_cast<float>(rng() >> 40) * (1.0f / 16777216.0f);
}

float normal_sample(std::mt19937_64& rng, float stddev) {
  // 53-bit uniforms in (0, 1] keep log() finite.
  const double u1 = (static_cast<double>(rng() >> 11) + 1.0) * (1.0 / 9007199254740992.0);
  const double u2 = static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
  const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  return static_cast<float>(z) * stddev;
}

void fill_normal(Mat& m, std::mt19937_64& rng, float stddev) {
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal_sample(rng, stddev);
}

}  // namespace bog::model
