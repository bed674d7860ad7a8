#include "tune/acquisition.h"

#include <cmath>
#include <numbers>

namespace bog::tune {
namespace {

constexpr double kInvSqrt2 = 0.70710678118654752440;

double log_phi(double z) { return -0.5 * z * z - 0.5 * std::log(2 * std::numbers::pi); }

// log(z Phi(z) + phi(z)). For z well below 0 both terms nearly cancel; there
// z Phi(z) + phi(z) = phi(z) (1 + z m(z)) with the Mills ratio m(z) = Phi(z) / phi(z), and
// for large |z| 1 + z m(z) = 1/z^2 - 3/z^4 + 15/z^6 - ... (asymptotic series of erfc).
double log_h(double z) {
  if (z > -5) {
    const double cdf = 0.5 * std::erfc(-z * kInvSqrt2);
    return std::log(z * cdf + std::exp(log_phi(z)));
  }
  const double z2 = z * z;
  double tail;
  if (z < -25) {
    tail = 1 / z2 - 3 / (z2 * z2) + 15 / (z2 * z2 * z2) - 105 / (z2 * z2 * z2 * z2);
  } else {
    // m(z) = sqrt(pi/2) erfcx(-z/sqrt2); erfcx(t) = exp(t^2) erfc(t) is safe to form for t < 18.
    const double t = -z * kInvSqrt2;
    const double mills = std::sqrt(std::numbers::pi / 2) * std::exp(t * t) * std::erfc(t);
    tail = 1 + z * mills;
  }
  return log_phi(z) + std::log(tail);
}

}  // namespace

double log_expected_improvement(double mean, double stddev, double best) {
  const double z = (best - mean) / stddev;
  return std::log(stddev) + log_h(z);
}

double expected_improvement(double mean, double stddev, double best) {
  const double z = (best - mean) / stddev;
  const double cdf = 0.5 * std::erfc(-z * kInvSqrt2);
  const double pdf = std::exp(log_phi(z));
  return stddev * (z * cdf + pdf);
}

}  // namespace bog::tune
