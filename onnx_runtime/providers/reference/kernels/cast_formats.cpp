#include "onnx_runtime/providers/reference/kernels/cast_formats.h"

#include <cmath>
#include <limits>

namespace bog::runtime::ref {
namespace {

// How a format spends its special encodings.
enum class Specials {
  kIeee,    // all-ones exponent: Inf (mantissa 0) and NaN (float16, bfloat16, float8e5m2)
  kFn,      // no Inf; only S.1111.111 is NaN (float8e4m3fn)
  kFnuz,    // no Inf, no -0; 0x80 (the would-be -0) is the one NaN (float8 *fnuz)
  kFinite,  // no Inf, no NaN (float4e2m1)
};

struct Format {
  int exp_bits;
  int mant_bits;
  int bias;
  Specials specials;

  uint32_t sign_bit() const { return 1u << (exp_bits + mant_bits); }
  uint32_t exp_ones() const { return ((1u << exp_bits) - 1) << mant_bits; }
  // Largest finite magnitude, as bits without the sign.
  uint32_t max_bits() const {
    switch (specials) {
      case Specials::kIeee:
        return exp_ones() - 1;
      case Specials::kFn:
        return sign_bit() - 2;
      case Specials::kFnuz:
      case Specials::kFinite:
        return sign_bit() - 1;
    }
    return 0;
  }
  uint32_t nan_bits(bool negative) const {
    const uint32_t s = negative ? sign_bit() : 0;
    switch (specials) {
      case Specials::kIeee:
        return s | exp_ones() | (1u << (mant_bits - 1));
      case Specials::kFn:
        return s | (sign_bit() - 1);
      case Specials::kFnuz:
        return sign_bit();
      // float4e2m1 has no NaN; ONNX's Cast test data maps NaN to 0x8 (-0).
      case Specials::kFinite:
        return sign_bit();
    }
    return 0;
  }
};

Format format_of(DType dtype) {
  switch (dtype) {
    case DType::kFloat16:
      return {5, 10, 15, Specials::kIeee};
    case DType::kBFloat16:
      return {8, 7, 127, Specials::kIeee};
    case DType::kFloat8E4M3FN:
      return {4, 3, 7, Specials::kFn};
    case DType::kFloat8E4M3FNUZ:
      return {4, 3, 8, Specials::kFnuz};
    case DType::kFloat8E5M2:
      return {5, 2, 15, Specials::kIeee};
    case DType::kFloat8E5M2FNUZ:
      return {5, 2, 16, Specials::kFnuz};
    default:
      return {2, 1, 1, Specials::kFinite};  // float4e2m1
  }
}

bool is_float8(DType dtype) {
  return dtype == DType::kFloat8E4M3FN || dtype == DType::kFloat8E4M3FNUZ ||
         dtype == DType::kFloat8E5M2 || dtype == DType::kFloat8E5M2FNUZ;
}

}  // namespace

bool is_cast_small_float(DType dtype) {
  return dtype == DType::kFloat16 || dtype == DType::kBFloat16 || is_float8(dtype) ||
         dtype == DType::kFloat4E2M1;
}

uint32_t encode_small_float(double x, DType dtype, bool saturate) {
  const Format f = format_of(dtype);
  if (!is_float8(dtype)) saturate = f.specials == Specials::kFinite;
  const bool negative = std::signbit(x);
  if (std::isnan(x)) return f.nan_bits(negative);
  const uint32_t sign = negative ? f.sign_bit() : 0;
  const uint32_t zero = f.specials == Specials::kFnuz ? 0 : sign;  // +-0, or 0 without -0
  const auto overflow = [&]() -> uint32_t {
    if (saturate) return sign | f.max_bits();
    if (f.specials == Specials::kIeee) return sign | f.exp_ones();
    return f.nan_bits(negative);
  };
  if (std::isinf(x)) return overflow();
  const double ax = std::fabs(x);
  if (ax == 0.0) return zero;

  // ax = m * 2^e with m in [1, 2). The spacing of representable values around ax is
  // 2^(max(e, emin) - mant_bits); dividing by it and rounding to the nearest even integer is
  // exactly round-to-nearest-even in the target format (scaling by 2^k is exact in double).
  int p = 0;
  std::frexp(ax, &p);
  const int e = p - 1;
  const int emin = 1 - f.bias;
  const int emax = static_cast<int>(f.max_bits() >> f.mant_bits) - f.bias;
  if (e > emax + 1) return overflow();
  const int quantum_exp = (e < emin ? emin : e) - f.mant_bits;
  const double q = std::nearbyint(std::ldexp(ax, -quantum_exp));
  // Subnormals encode q directly; normals add the biased exponent. A rounding carry into the
  // next binade lands on the right encoding in both cases.
  uint64_t mag = 0;
  if (e < emin) {
    mag = static_cast<uint64_t>(q);
  } else {
    mag = (static_cast<uint64_t>(e + f.bias) << f.mant_bits) + static_cast<uint64_t>(q) -
          (uint64_t{1} << f.mant_bits);
  }
  if (mag > f.max_bits()) return overflow();
  if (mag == 0) return zero;
  return sign | static_cast<uint32_t>(mag);
}

double decode_small_float(uint32_t bits, DType dtype) {
  const Format f = format_of(dtype);
  const uint32_t sign_bit = f.sign_bit();
  bits &= (sign_bit << 1) - 1;
  const bool negative = (bits & sign_bit) != 0;
  const uint32_t mag = bits & (sign_bit - 1);
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  switch (f.specials) {
    case Specials::kIeee:
      if ((mag & f.exp_ones()) == f.exp_ones()) {
        if ((mag & ((1u << f.mant_bits) - 1)) != 0) return kNaN;
        return negative ? -kInf : kInf;
      }
      break;
    case Specials::kFn:
      if (mag == sign_bit - 1) return kNaN;
      break;
    case Specials::kFnuz:
      if (bits == sign_bit) return kNaN;
      break;
    case Specials::kFinite:
      break;
  }
  const uint32_t exp = mag >> f.mant_bits;
  const uint32_t mant = mag & ((1u << f.mant_bits) - 1);
  const double value = exp == 0 ? std::ldexp(static_cast<double>(mant), 1 - f.bias - f.mant_bits)
                                : std::ldexp(static_cast<double>(mant | (1u << f.mant_bits)),
                                             static_cast<int>(exp) - f.bias - f.mant_bits);
  return negative ? -value : value;
}

uint8_t encode_e8m0(double x, bool saturate, E8M0Rounding rounding) {
  if (std::isnan(x)) return 0xFF;
  // The format has no sign bit: it encodes magnitudes (block scales).
  const double ax = std::fabs(x);
  if (std::isinf(ax)) return saturate ? 0xFE : 0xFF;
  if (ax == 0.0) return 0x00;  // no zero either: the smallest value, 2^-127
  int p = 0;
  const double m = std::frexp(ax, &p) * 2.0;  // ax = m * 2^(p-1), m in [1, 2)
  int e = p - 1;
  switch (rounding) {
    case E8M0Rounding::kUp:
      if (m > 1.0) ++e;
      break;
    case E8M0Rounding::kDown:
      break;
    case E8M0Rounding::kNearest:
      if (m >= 1.5) ++e;
      break;
  }
  const int biased = e + 127;
  if (biased < 0) return 0x00;
  if (biased > 254) return saturate ? 0xFE : 0xFF;
  return static_cast<uint8_t>(biased);
}

double decode_e8m0(uint8_t bits) {
  if (bits == 0xFF) return std::numeric_limits<double>::quiet_NaN();
  return std::ldexp(1.0, static_cast<int>(bits) - 127);
}

}  // namespace bog::runtime::ref
