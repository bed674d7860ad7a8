#include "model/layers/gelu_mlp.h"

#include <cmath>
#include <numbers>

namespace bog::model {
namespace {
constexpr float kTanhC = 0.044715f;
const float kSqrt2OverPi = std::sqrt(2.0f / std::numbers::pi_v<float>);
}  // namespace

float gelu(float a, GeluKind kind) {
  if (kind == GeluKind::kErf) return 0.5f * a * (1.0f + std::erf(a / std::numbers::sqrt2_v<float>));
  return 0.5f * a * (1.0f + std::tanh(kSqrt2OverPi * (a + kTanhC * a * a * a)));
}

float gelu_grad(float a, GeluKind kind) {
  if (kind == GeluKind::kErf) {
    const float cdf = 0.5f * (1.0f + std::erf(a / std::numbers::sqrt2_v<float>));
    const float pdf = std::exp(-0.5f * a * a) / std::sqrt(2.0f * std::numbers::pi_v<float>);
    return cdf + a * pdf;
  }
  const float t = std::tanh(kSqrt2OverPi * (a + kTanhC * a * a * a));
  return 0.5f * (1.0f + t) +
         0.5f * a * (1.0f - t * t) * kSqrt2OverPi * (1.0f + 3.0f * kTanhC * a * a);
}

GeluMlp::GeluMlp(std::string name, int d_model, int d_ff, bool bias, GeluKind kind,
                 std::mt19937_64& rng, float out_init_std)
    : kind_(kind),
      fc1_(name + ".fc1", d_model, d_ff, bias, rng),
      fc2_(name + ".fc2", d_ff, d_model, bias, rng, out_init_std) {}

Mat GeluMlp::forward(const Mat& x) {
  a_ = fc1_.forward(x);
  const GeluKind kind = kind_;
  const Mat h = a_.unaryExpr([kind](float v) { return gelu(v, kind); });
  return fc2_.forward(h);
}

Mat GeluMlp::backward(const Mat& dy) {
  const Mat dh = fc2_.backward(dy);
  const GeluKind kind = kind_;
  const Mat da =
      (dh.array() * a_.unaryExpr([kind](float v) { return gelu_grad(v, kind); }).array()).matrix();
  return fc1_.backward(da);
}

void GeluMlp::collect(ParamList& out) {
  fc1_.collect(out);
  fc2_.collect(out);
}

}  // namespace bog::model
