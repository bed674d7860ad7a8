#include "conformance/value_compare.h"

#include <fmt/format.h>

#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>

namespace bog::conformance {
namespace {

using runtime::DType;
using runtime::kind_name;
using runtime::Tensor;
using runtime::Value;
using runtime::ValueKind;

// Small float formats (float8 variants, float4e2m1): sign, `e` exponent bits, `m` mantissa bits.
// `fnuz` formats have no negative zero and use 0x80 as their only NaN; `fn` formats have no
// infinity and use all-ones as NaN; the IEEE-like e5m2 has both.
enum class SmallFloat { kIeee, kFn, kFnuz, kNoSpecials };

double decode_small_float(uint32_t bits, int e, int m, int bias, SmallFloat kind) {
  const uint32_t sign = (bits >> (e + m)) & 1u;
  const uint32_t exp = (bits >> m) & ((1u << e) - 1u);
  const uint32_t man = bits & ((1u << m) - 1u);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (kind == SmallFloat::kFnuz && sign == 1 && exp == 0 && man == 0) return nan;
  if (kind == SmallFloat::kFn && exp == (1u << e) - 1u && man == (1u << m) - 1u) return nan;
  if (kind == SmallFloat::kIeee && exp == (1u << e) - 1u) {
    return man == 0 ? (sign ? -INFINITY : INFINITY) : nan;
  }
  double value =
      exp == 0 ? std::ldexp(static_cast<double>(man), 1 - bias - m)
               : std::ldexp(static_cast<double>(man | (1u << m)), static_cast<int>(exp) - bias - m);
  return sign ? -value : value;
}

template <class T>
double load(const Tensor& t, int64_t i) {
  T v;
  std::memcpy(&v, static_cast<const char*>(t.raw()) + static_cast<size_t>(i) * sizeof(T),
              sizeof(T));
  return static_cast<double>(v);
}

// Numeric tensors compare in double; complex ones compare real and imaginary parts as
// separate elements.
int64_t numeric_count(const Tensor& t) {
  if (t.dtype() == DType::kComplex64 || t.dtype() == DType::kComplex128) return t.numel() * 2;
  return t.numel();
}

double numeric_at(const Tensor& t, int64_t i) {
  if (t.dtype() == DType::kComplex64) return load<float>(t, i);
  if (t.dtype() == DType::kComplex128) return load<double>(t, i);
  return element_as_double(t, i);
}

CompareResult compare_tensors(const Tensor& actual, const Tensor& expected, const Tolerance& tol) {
  CompareResult r;
  if (actual.dtype() != expected.dtype()) {
    r.ok = false;
    r.reason = fmt::format("dtype {} != expected {}", runtime::dtype_name(actual.dtype()),
                           runtime::dtype_name(expected.dtype()));
    return r;
  }
  if (actual.shape() != expected.shape()) {
    r.ok = false;
    r.reason = fmt::format("shape {} != expected {}", runtime::shape_to_string(actual.shape()),
                           runtime::shape_to_string(expected.shape()));
    return r;
  }
  if (actual.dtype() == DType::kString) {
    const auto& a = actual.strings();
    const auto& b = expected.strings();
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (a[i] != b[i]) {
        if (r.mismatches++ == 0) {
          r.reason = fmt::format("element {}: \"{}\" != expected \"{}\"", i, a[i], b[i]);
        }
      }
    }
    r.ok = r.mismatches == 0;
    return r;
  }
  const int64_t n = numeric_count(expected);
  for (int64_t i = 0; i < n; ++i) {
    const double a = numeric_at(actual, i);
    const double e = numeric_at(expected, i);
    bool good;
    if (std::isnan(a) || std::isnan(e)) {
      good = std::isnan(a) && std::isnan(e);
    } else if (std::isinf(a) || std::isinf(e)) {
      good = a == e;
    } else {
      const double diff = std::fabs(a - e);
      if (diff > r.max_abs_diff) r.max_abs_diff = diff;
      good = diff <= tol.atol + tol.rtol * std::fabs(e);
    }
    if (!good && r.mismatches++ == 0) {
      r.reason = fmt::format("element {}: {} != expected {}", i, a, e);
    }
  }
  if (r.mismatches > 0) {
    r.ok = false;
    r.reason = fmt::format("{} of {} elements differ (max abs diff {:.3g}; first: {})",
                           r.mismatches, n, r.max_abs_diff, r.reason);
  }
  return r;
}

}  // namespace

double element_as_double(const Tensor& t, int64_t i) {
  const auto byte = [&] { return static_cast<const uint8_t*>(t.raw())[i]; };
  switch (t.dtype()) {
    case DType::kFloat32:
      return load<float>(t, i);
    case DType::kFloat64:
      return load<double>(t, i);
    case DType::kInt8:
    case DType::kInt4:
    case DType::kInt2:
      return load<int8_t>(t, i);
    case DType::kUint8:
    case DType::kUint4:
    case DType::kUint2:
      return load<uint8_t>(t, i);
    case DType::kInt16:
      return load<int16_t>(t, i);
    case DType::kUint16:
      return load<uint16_t>(t, i);
    case DType::kInt32:
      return load<int32_t>(t, i);
    case DType::kUint32:
      return load<uint32_t>(t, i);
    case DType::kInt64:
      return load<int64_t>(t, i);
    case DType::kUint64:
      return load<uint64_t>(t, i);
    case DType::kBool:
      return byte() != 0 ? 1.0 : 0.0;
    case DType::kFloat16: {
      runtime::Float16 h;
      std::memcpy(&h.bits, static_cast<const char*>(t.raw()) + 2 * i, 2);
      return runtime::to_float(h);
    }
    case DType::kBFloat16: {
      runtime::BFloat16 b;
      std::memcpy(&b.bits, static_cast<const char*>(t.raw()) + 2 * i, 2);
      return runtime::to_float(b);
    }
    case DType::kFloat8E4M3FN:
      return decode_small_float(byte(), 4, 3, 7, SmallFloat::kFn);
    case DType::kFloat8E4M3FNUZ:
      return decode_small_float(byte(), 4, 3, 8, SmallFloat::kFnuz);
    case DType::kFloat8E5M2:
      return decode_small_float(byte(), 5, 2, 15, SmallFloat::kIeee);
    case DType::kFloat8E5M2FNUZ:
      return decode_small_float(byte(), 5, 2, 16, SmallFloat::kFnuz);
    case DType::kFloat4E2M1:
      return decode_small_float(byte() & 0x0F, 2, 1, 1, SmallFloat::kNoSpecials);
    case DType::kFloat8E8M0:
      return byte() == 0xFF ? std::numeric_limits<double>::quiet_NaN()
                            : std::ldexp(1.0, static_cast<int>(byte()) - 127);
    case DType::kComplex64:
      return load<float>(t, 2 * i);
    case DType::kComplex128:
      return load<double>(t, 2 * i);
    default:
      return 0.0;
  }
}

CompareResult compare_values(const Value& actual, const Value& expected, const Tolerance& tol) {
  if (actual.kind != expected.kind) {
    CompareResult r;
    r.ok = false;
    r.reason =
        fmt::format("got a {} but expected a {}", kind_name(actual.kind), kind_name(expected.kind));
    return r;
  }
  switch (expected.kind) {
    case ValueKind::kTensor:
      return compare_tensors(actual.tensor, expected.tensor, tol);
    case ValueKind::kSequence: {
      CompareResult total;
      if (actual.sequence.size() != expected.sequence.size()) {
        total.ok = false;
        total.reason = fmt::format("sequence of {} tensors but expected {}", actual.sequence.size(),
                                   expected.sequence.size());
        return total;
      }
      for (size_t i = 0; i < expected.sequence.size(); ++i) {
        CompareResult r = compare_tensors(actual.sequence[i], expected.sequence[i], tol);
        total.max_abs_diff = std::max(total.max_abs_diff, r.max_abs_diff);
        total.mismatches += r.mismatches;
        if (!r.ok && total.ok) {
          total.ok = false;
          total.reason = fmt::format("sequence element {}: {}", i, r.reason);
        }
      }
      return total;
    }
    case ValueKind::kOptional: {
      if (!actual.optional || !expected.optional) {
        CompareResult r;
        if (static_cast<bool>(actual.optional) != static_cast<bool>(expected.optional)) {
          r.ok = false;
          r.reason = actual.optional ? "got a value but expected an empty optional"
                                     : "got an empty optional but expected a value";
        }
        return r;
      }
      CompareResult r = compare_values(*actual.optional, *expected.optional, tol);
      if (!r.ok) r.reason = "optional: " + r.reason;
      return r;
    }
  }
  return {};
}

}  // namespace bog::conformance
