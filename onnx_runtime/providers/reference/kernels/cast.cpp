// Cast and CastLike between every dtype the runtime holds except complex: plain numbers,
// bool, float16/bfloat16, the float8 family (with `saturate`), float8e8m0 (with `round_mode`),
// float4e2m1, the unpacked 4-/2-bit integers and strings.
//
// Semantics (ONNX Cast spec, checked against its conformance data):
// - float -> integer truncates toward zero, then wraps modulo 2^bits like every integer
//   narrowing (so float 8 -> int4 gives -8, as ONNX's int4 test data expects); NaN gives 0.
// - anything -> bool is "non-zero" (NaN is true).
// - float -> smaller float rounds to nearest even (cast_formats.h has the per-format rules).
// - string -> number parses decimal/scientific text and INF/+INF/-INF/NaN in any case;
//   number -> string writes the shortest text that reads back to the same value.
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "onnx_runtime/providers/reference/kernels/cast_formats.h"
#include "onnx_runtime/providers/reference/kernels/elementwise_util.h"

namespace bog::runtime::ref {
namespace {

struct CastOptions {
  bool saturate = true;
  E8M0Rounding rounding = E8M0Rounding::kUp;
};

// One element on its way between types: floats as double, integers exactly.
struct Scalar {
  enum class Kind { kFloat, kInt, kUint } kind = Kind::kInt;
  double f = 0.0;
  int64_t i = 0;
  uint64_t u = 0;

  double as_double() const {
    switch (kind) {
      case Kind::kFloat:
        return f;
      case Kind::kInt:
        return static_cast<double>(i);
      case Kind::kUint:
        return static_cast<double>(u);
    }
    return 0.0;
  }
  bool nonzero() const {
    switch (kind) {
      case Kind::kFloat:
        return f != 0.0 || std::isnan(f);
      case Kind::kInt:
        return i != 0;
      case Kind::kUint:
        return u != 0;
    }
    return false;
  }
  // The value as a 64-bit two's complement pattern; narrower integer targets keep its low
  // bits. Floats truncate toward zero; NaN is 0 and values beyond 64 bits clamp.
  uint64_t wrapped_bits() const {
    switch (kind) {
      case Kind::kInt:
        return static_cast<uint64_t>(i);
      case Kind::kUint:
        return u;
      case Kind::kFloat:
        break;
    }
    if (std::isnan(f)) return 0;
    const double t = std::trunc(f);
    if (t >= 18446744073709551616.0) return std::numeric_limits<uint64_t>::max();
    if (t >= 9223372036854775808.0) return static_cast<uint64_t>(t);
    if (t < -9223372036854775808.0)
      return static_cast<uint64_t>(std::numeric_limits<int64_t>::min());
    return static_cast<uint64_t>(static_cast<int64_t>(t));
  }
};

Scalar from_double(double v) {
  Scalar s;
  s.kind = Scalar::Kind::kFloat;
  s.f = v;
  return s;
}
Scalar from_int(int64_t v) {
  Scalar s;
  s.kind = Scalar::Kind::kInt;
  s.i = v;
  return s;
}
Scalar from_uint(uint64_t v) {
  Scalar s;
  s.kind = Scalar::Kind::kUint;
  s.u = v;
  return s;
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t k = 0; k < a.size(); ++k) {
    if (std::tolower(static_cast<unsigned char>(a[k])) !=
        std::tolower(static_cast<unsigned char>(b[k]))) {
      return false;
    }
  }
  return true;
}

Scalar parse_string(const std::string& text, const Node& node) {
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (equals_ignore_case(s, "true")) return from_int(1);
  if (equals_ignore_case(s, "false")) return from_int(0);
  if (equals_ignore_case(s, "inf") || equals_ignore_case(s, "+inf")) {
    return from_double(std::numeric_limits<double>::infinity());
  }
  if (equals_ignore_case(s, "-inf")) return from_double(-std::numeric_limits<double>::infinity());
  if (equals_ignore_case(s, "nan")) return from_double(std::numeric_limits<double>::quiet_NaN());
  // Integers exactly (int64 beyond 2^53 must not go through double), then anything else.
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  if (!s.empty() && s.front() == '+') ++begin;
  int64_t iv = 0;
  if (auto r = std::from_chars(begin, end, iv); r.ec == std::errc() && r.ptr == end)
    return from_int(iv);
  uint64_t uv = 0;
  if (auto r = std::from_chars(begin, end, uv); r.ec == std::errc() && r.ptr == end)
    return from_uint(uv);
  const std::string copy(s);
  char* parsed_end = nullptr;
  const double dv = std::strtod(copy.c_str(), &parsed_end);
  if (copy.empty() || parsed_end != copy.c_str() + copy.size()) {
    throw Error(
        ErrorCategory::kInvalidArgument,
        fmt::format("{} node '{}': cannot parse '{}' as a number", node.op_type, node.name, text));
  }
  return from_double(dv);
}

Scalar read_element(const Tensor& t, int64_t k, const Node& node) {
  const DType d = t.dtype();
  switch (d) {
    case DType::kFloat32:
      return from_double(t.data<float>()[k]);
    case DType::kFloat64:
      return from_double(t.data<double>()[k]);
    case DType::kFloat16:
      return from_double(to_float(t.data<Float16>()[k]));
    case DType::kBFloat16:
      return from_double(to_float(t.data<BFloat16>()[k]));
    case DType::kFloat8E4M3FN:
    case DType::kFloat8E4M3FNUZ:
    case DType::kFloat8E5M2:
    case DType::kFloat8E5M2FNUZ:
    case DType::kFloat4E2M1:
      return from_double(decode_small_float(t.data<uint8_t>()[k], d));
    case DType::kFloat8E8M0:
      return from_double(decode_e8m0(t.data<uint8_t>()[k]));
    case DType::kInt8:
    case DType::kInt4:
    case DType::kInt2:
      return from_int(t.data<int8_t>()[k]);
    case DType::kInt16:
      return from_int(t.data<int16_t>()[k]);
    case DType::kInt32:
      return from_int(t.data<int32_t>()[k]);
    case DType::kInt64:
      return from_int(t.data<int64_t>()[k]);
    case DType::kUint8:
    case DType::kUint4:
    case DType::kUint2:
      return from_uint(t.data<uint8_t>()[k]);
    case DType::kUint16:
      return from_uint(t.data<uint16_t>()[k]);
    case DType::kUint32:
      return from_uint(t.data<uint32_t>()[k]);
    case DType::kUint64:
      return from_uint(t.data<uint64_t>()[k]);
    case DType::kBool:
      return from_int(t.data<bool>()[k] ? 1 : 0);
    case DType::kString:
      return parse_string(t.strings()[static_cast<size_t>(k)], node);
    default:
      unsupported_dtype(node, d);
  }
}

// Text for a floating value of `source` precision: the fewest significant digits that read
// back to the same `source` value (numpy's str), "NaN"/"INF"/"-INF" for the specials.
std::string float_to_string(double v, DType source) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "INF" : "-INF";
  std::string text;
  if (source == DType::kFloat64) {
    text = fmt::format("{}", v);
  } else if (source == DType::kFloat32) {
    text = fmt::format("{}", static_cast<float>(v));
  } else {
    const auto same = [&](double w) {
      if (source == DType::kFloat8E8M0) {
        return encode_e8m0(w, true, E8M0Rounding::kNearest) ==
               encode_e8m0(v, true, E8M0Rounding::kNearest);
      }
      return encode_small_float(w, source, true) == encode_small_float(v, source, true);
    };
    double shortest = v;
    for (int digits = 1; digits <= 17; ++digits) {
      const double w = std::strtod(fmt::format("{:.{}e}", v, digits - 1).c_str(), nullptr);
      if (same(w)) {
        shortest = w;
        break;
      }
    }
    text = fmt::format("{}", shortest);
  }
  if (text.find_first_not_of("-0123456789") == std::string::npos) text += ".0";
  return text;
}

std::string to_string(const Scalar& s, DType source) {
  if (source == DType::kBool) return s.i != 0 ? "True" : "False";
  switch (s.kind) {
    case Scalar::Kind::kFloat:
      return float_to_string(s.f, source);
    case Scalar::Kind::kInt:
      return fmt::format("{}", s.i);
    case Scalar::Kind::kUint:
      return fmt::format("{}", s.u);
  }
  return {};
}

// Low `bits` of the value, sign-extended for signed sub-byte types (the runtime stores int4
// and int2 one per byte, sign-extended; see dtype.h).
uint8_t sub_byte(const Scalar& s, int bits, bool is_signed) {
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  uint64_t v = s.wrapped_bits() & mask;
  if (is_signed && v >= (uint64_t{1} << (bits - 1))) v |= ~mask;
  return static_cast<uint8_t>(v);
}

void write_element(Tensor& out, int64_t k, const Scalar& s, DType source, const CastOptions& opt,
                   const Node& node) {
  const DType d = out.dtype();
  switch (d) {
    case DType::kFloat32:
      // Integers convert directly (one rounding); floats were exact doubles already.
      out.data<float>()[k] = s.kind == Scalar::Kind::kInt    ? static_cast<float>(s.i)
                             : s.kind == Scalar::Kind::kUint ? static_cast<float>(s.u)
                                                             : static_cast<float>(s.f);
      return;
    case DType::kFloat64:
      out.data<double>()[k] = s.as_double();
      return;
    case DType::kFloat16:
      out.data<Float16>()[k] =
          Float16{static_cast<uint16_t>(encode_small_float(s.as_double(), d, false))};
      return;
    case DType::kBFloat16:
      out.data<BFloat16>()[k] =
          BFloat16{static_cast<uint16_t>(encode_small_float(s.as_double(), d, false))};
      return;
    case DType::kFloat8E4M3FN:
    case DType::kFloat8E4M3FNUZ:
    case DType::kFloat8E5M2:
    case DType::kFloat8E5M2FNUZ:
    case DType::kFloat4E2M1:
      out.data<uint8_t>()[k] =
          static_cast<uint8_t>(encode_small_float(s.as_double(), d, opt.saturate));
      return;
    case DType::kFloat8E8M0:
      out.data<uint8_t>()[k] = encode_e8m0(s.as_double(), opt.saturate, opt.rounding);
      return;
    case DType::kInt8:
      out.data<int8_t>()[k] = static_cast<int8_t>(s.wrapped_bits());
      return;
    case DType::kInt16:
      out.data<int16_t>()[k] = static_cast<int16_t>(s.wrapped_bits());
      return;
    case DType::kInt32:
      out.data<int32_t>()[k] = static_cast<int32_t>(s.wrapped_bits());
      return;
    case DType::kInt64:
      out.data<int64_t>()[k] = static_cast<int64_t>(s.wrapped_bits());
      return;
    case DType::kUint8:
      out.data<uint8_t>()[k] = static_cast<uint8_t>(s.wrapped_bits());
      return;
    case DType::kUint16:
      out.data<uint16_t>()[k] = static_cast<uint16_t>(s.wrapped_bits());
      return;
    case DType::kUint32:
      out.data<uint32_t>()[k] = static_cast<uint32_t>(s.wrapped_bits());
      return;
    case DType::kUint64:
      out.data<uint64_t>()[k] = s.wrapped_bits();
      return;
    case DType::kInt4:
      out.data<uint8_t>()[k] = sub_byte(s, 4, true);
      return;
    case DType::kUint4:
      out.data<uint8_t>()[k] = sub_byte(s, 4, false);
      return;
    case DType::kInt2:
      out.data<uint8_t>()[k] = sub_byte(s, 2, true);
      return;
    case DType::kUint2:
      out.data<uint8_t>()[k] = sub_byte(s, 2, false);
      return;
    case DType::kBool:
      out.data<bool>()[k] = s.nonzero();
      return;
    case DType::kString:
      out.strings()[static_cast<size_t>(k)] = to_string(s, source);
      return;
    default:
      unsupported_dtype(node, d);
  }
}

// Same conversion rules as write_element, specialised for pairs of plain C++ types: the
// common case (int64 <-> float, bool masks) stays a tight loop.
using PlainTypes = decltype(TypeList<float, double>{} + IntTypes{} + BoolType{});

template <class D, class S>
D convert_plain(S v) {
  if constexpr (std::is_same_v<D, bool>) {
    return v != S{0} || (std::is_floating_point_v<S> && std::isnan(static_cast<double>(v)));
  } else if constexpr (std::is_floating_point_v<S> && std::is_integral_v<D>) {
    Scalar s;
    s.kind = Scalar::Kind::kFloat;
    s.f = static_cast<double>(v);
    return static_cast<D>(s.wrapped_bits());
  } else {
    return static_cast<D>(v);
  }
}

bool is_plain(DType d) {
  switch (d) {
    case DType::kFloat32:
    case DType::kFloat64:
    case DType::kBool:
    case DType::kInt8:
    case DType::kInt16:
    case DType::kInt32:
    case DType::kInt64:
    case DType::kUint8:
    case DType::kUint16:
    case DType::kUint32:
    case DType::kUint64:
      return true;
    default:
      return false;
  }
}

bool castable(DType d) {
  return d != DType::kUndefined && d != DType::kComplex64 && d != DType::kComplex128 &&
         is_known_dtype(static_cast<int32_t>(d));
}

void cast_tensor(KernelContext& ctx, DType target) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  if (!castable(x.dtype())) unsupported_dtype(node, x.dtype());
  if (!castable(target)) unsupported_dtype(node, target);
  CastOptions opt;
  opt.saturate = node.attr_int("saturate", 1) != 0;
  const std::string mode = node.attr_string("round_mode", "up");
  if (mode == "up") {
    opt.rounding = E8M0Rounding::kUp;
  } else if (mode == "down") {
    opt.rounding = E8M0Rounding::kDown;
  } else if (mode == "nearest") {
    opt.rounding = E8M0Rounding::kNearest;
  } else {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': round_mode must be up, down or nearest, got '{}'",
                            node.op_type, node.name, mode));
  }
  if (target == x.dtype()) {
    if (target == DType::kString) {
      ctx.set_output(0, x.clone());
    } else {
      Tensor& y = ctx.output_uninit(0, target, x.shape());
      if (x.nbytes() > 0) std::memcpy(y.raw(), x.raw(), x.nbytes());
    }
    return;
  }
  Tensor& y = ctx.allocate_output(0, target, x.shape());
  const int64_t n = x.numel();
  if (is_plain(x.dtype()) && is_plain(target)) {
    dispatch(PlainTypes{}, x.dtype(), node, [&](auto stag) {
      using S = decltype(stag);
      dispatch(PlainTypes{}, target, node, [&](auto dtag) {
        using D = decltype(dtag);
        const S* in = x.data<S>();
        D* out = y.data<D>();
        for (int64_t k = 0; k < n; ++k) out[k] = convert_plain<D>(in[k]);
      });
    });
    return;
  }
  for (int64_t k = 0; k < n; ++k)
    write_element(y, k, read_element(x, k, node), x.dtype(), opt, node);
}

// Cast-1..5 name the target type with a string ("FLOAT", "INT64", ...).
DType target_from_attribute(const Node& node) {
  const Attribute* a = node.attr("to");
  if (a == nullptr) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("Cast node '{}': attribute 'to' is required", node.name));
  }
  if (a->type == Attribute::Type::kString) {
    static const std::pair<const char*, DType> kNames[] = {
        {"FLOAT", DType::kFloat32},   {"UINT8", DType::kUint8},    {"INT8", DType::kInt8},
        {"UINT16", DType::kUint16},   {"INT16", DType::kInt16},    {"INT32", DType::kInt32},
        {"INT64", DType::kInt64},     {"STRING", DType::kString},  {"BOOL", DType::kBool},
        {"FLOAT16", DType::kFloat16}, {"DOUBLE", DType::kFloat64}, {"UINT32", DType::kUint32},
        {"UINT64", DType::kUint64}};
    for (const auto& [name, dtype] : kNames) {
      if (equals_ignore_case(a->s, name)) return dtype;
    }
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("Cast node '{}': unknown type name '{}'", node.name, a->s));
  }
  const int64_t to = node.attr_int("to", 0);
  if (to < 0 || to > std::numeric_limits<int32_t>::max() ||
      !is_known_dtype(static_cast<int32_t>(to))) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("Cast node '{}': 'to' = {} is not a known data type", node.name, to));
  }
  return static_cast<DType>(to);
}

}  // namespace

void register_cast(KernelRegistry& registry) {
  add_kernel(registry, "Cast", 1,
             [](KernelContext& ctx) { cast_tensor(ctx, target_from_attribute(ctx.node())); });
  add_kernel(registry, "CastLike", 15,
             [](KernelContext& ctx) { cast_tensor(ctx, ctx.input(1).dtype()); });
}

}  // namespace bog::runtime::ref
