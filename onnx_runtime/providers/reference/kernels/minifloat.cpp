#include "onnx_runtime/providers/reference/kernels/minifloat.h"

#include <cmath>
#include <limits>

namespace bog::runtime::ref {
namespace {

struct Format {
  int exp_bits;
  int mant_bits;
  int bias;
  bool ieee_inf;  // e5m2: all-ones exponent is inf/NaN
  bool fnuz;      // only one zero; code 0x80 is NaN
  bool fn;        // e4m3fn: only S.1111.111 is NaN
};

Format format_of(DType dtype) {
  switch (dtype) {
    case DType::kFloat8E4M3FN:
      return {4, 3, 7, false, false, true};
    case DType::kFloat8E4M3FNUZ:
      return {4, 3, 8, false, true, false};
    case DType::kFloat8E5M2:
      return {5, 2, 15, true, false, false};
    case DType::kFloat8E5M2FNUZ:
      return {5, 2, 16, false, true, false};
    default:
      return {2, 1, 1, false, false, false};  // float4 e2m1
  }
}

// Value of a non-negative code (sign bit clear); NaN for NaN codes, inf for e5m2 inf.
float positive_value(const Format& f, int code) {
  const int e = code >> f.mant_bits;
  const int m = code & ((1 << f.mant_bits) - 1);
  const int e_max = (1 << f.exp_bits) - 1;
  if (f.ieee_inf && e == e_max) {
    return m == 0 ? std::numeric_limits<float>::infinity()
                  : std::numeric_limits<float>::quiet_NaN();
  }
  if (f.fn && e == e_max && m == (1 << f.mant_bits) - 1) {
    return std::numeric_limits<float>::quiet_NaN();
  }
  if (e == 0) return std::ldexp(static_cast<float>(m), 1 - f.bias - f.mant_bits);
  return std::ldexp(static_cast<float>(m + (1 << f.mant_bits)), e - f.bias - f.mant_bits);
}

int sign_bit(const Format& f) { return 1 << (f.exp_bits + f.mant_bits); }

// Largest non-negative code with a finite value.
int max_finite_code(const Format& f) {
  int c = sign_bit(f) - 1;
  while (!std::isfinite(positive_value(f, c))) --c;
  return c;
}

}  // namespace

bool is_minifloat(DType dtype) {
  return dtype == DType::kFloat8E4M3FN || dtype == DType::kFloat8E4M3FNUZ ||
         dtype == DType::kFloat8E5M2 || dtype == DType::kFloat8E5M2FNUZ ||
         dtype == DType::kFloat4E2M1;
}

float minifloat_to_float(DType dtype, uint8_t code) {
  const Format f = format_of(dtype);
  const int sign = sign_bit(f);
  const int c = code & (2 * sign - 1);
  if (f.fnuz && c == sign) return std::numeric_limits<float>::quiet_NaN();
  const float v = positive_value(f, c & (sign - 1));
  return (c & sign) ? -v : v;
}

uint8_t float_to_minifloat(DType dtype, float x, bool saturate) {
  const Format f = format_of(dtype);
  const int sign = sign_bit(f);
  const int max_code = max_finite_code(f);
  const bool is_e2m1 = dtype == DType::kFloat4E2M1;
  const int nan_code = f.fnuz ? sign : f.ieee_inf ? (sign - 1) : f.fn ? (sign - 1) : max_code;
  if (std::isnan(x)) return static_cast<uint8_t>(nan_code);
  const int neg = std::signbit(x) ? sign : 0;
  const float a = std::fabs(x);
  const float max_value = positive_value(f, max_code);
  // Half an ulp above the largest finite value is where rounding would leave the format.
  const float next_up =
      std::ldexp(1.0f, static_cast<int>(std::ilogb(max_value)) - f.mant_bits) + max_value;
  const float threshold = (max_value + next_up) / 2;
  const bool overflows = std::isinf(a) || a > threshold || (a == threshold && (max_code & 1));
  if (a > max_value) {
    if (saturate || is_e2m1 || !overflows) return static_cast<uint8_t>(neg | max_code);
    if (f.ieee_inf) return static_cast<uint8_t>(neg | (max_code + 1));  // inf
    return static_cast<uint8_t>(nan_code);
  }
  // Nearest code by brute force over the (at most 127) finite magnitudes; ties to even.
  int best = 0;
  float best_err = std::numeric_limits<float>::infinity();
  for (int c = 0; c <= max_code; ++c) {
    const float err = std::fabs(a - positive_value(f, c));
    if (err < best_err || (err == best_err && (c & 1) == 0)) {
      best = c;
      best_err = err;
    }
  }
  if (best == 0 && f.fnuz) return 0;  // no negative zero
  return static_cast<uint8_t>(neg | best);
}

}  // namespace bog::runtime::ref
