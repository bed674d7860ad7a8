// QuantizeLinear (10+), DequantizeLinear (10+) and DynamicQuantizeLinear (11+). Scale and zero
// point are per tensor (one element), per axis (1-D along `axis`) or blocked (same rank as x,
// `block_size` elements of x per scale along `axis`). Integer outputs round half to even and
// saturate; float8/float4 outputs use Cast's encoders (cast_formats.h).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/advanced_ops.h"
#include "onnx_runtime/providers/reference/kernels/cast_formats.h"
#include "onnx_runtime/providers/reference/kernels/float_io.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::ref {
namespace {

// The 8- and 4-bit float formats (float8 variants, float4e2m1): one code per byte.
bool is_minifloat_dtype(DType dtype) {
  return is_cast_small_float(dtype) && dtype != DType::kFloat16 && dtype != DType::kBFloat16;
}

[[noreturn]] void bad(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("{} node '{}': {}", node.op_type, node.name, what));
}

// [lo, hi] of an integer quantized type; false for other types.
bool int_range(DType dtype, int64_t& lo, int64_t& hi) {
  switch (dtype) {
    case DType::kUint8:
      lo = 0;
      hi = 255;
      return true;
    case DType::kInt8:
      lo = -128;
      hi = 127;
      return true;
    case DType::kUint16:
      lo = 0;
      hi = 65535;
      return true;
    case DType::kInt16:
      lo = -32768;
      hi = 32767;
      return true;
    case DType::kUint4:
      lo = 0;
      hi = 15;
      return true;
    case DType::kInt4:
      lo = -8;
      hi = 7;
      return true;
    case DType::kUint2:
      lo = 0;
      hi = 3;
      return true;
    case DType::kInt2:
      lo = -2;
      hi = 1;
      return true;
    case DType::kInt32:
      lo = std::numeric_limits<int32_t>::min();
      hi = std::numeric_limits<int32_t>::max();
      return true;
    default:
      return false;
  }
}

// Element i of a quantized tensor (integer, 4/2-bit or minifloat) as a double.
double quantized_value(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kUint8:
    case DType::kUint4:
    case DType::kUint2:
      return t.data<uint8_t>()[i];
    case DType::kInt8:
    case DType::kInt4:
    case DType::kInt2:
      return t.data<int8_t>()[i];
    case DType::kUint16:
      return t.data<uint16_t>()[i];
    case DType::kInt16:
      return t.data<int16_t>()[i];
    case DType::kInt32:
      return t.data<int32_t>()[i];
    default:
      return decode_small_float(t.data<uint8_t>()[i], t.dtype());
  }
}

void store_integer(Tensor& t, int64_t i, int64_t v) {
  switch (t.dtype()) {
    case DType::kUint8:
    case DType::kUint4:
    case DType::kUint2:
      t.data<uint8_t>()[i] = static_cast<uint8_t>(v);
      break;
    case DType::kInt8:
    case DType::kInt4:
    case DType::kInt2:
      t.data<int8_t>()[i] = static_cast<int8_t>(v);
      break;
    case DType::kUint16:
      t.data<uint16_t>()[i] = static_cast<uint16_t>(v);
      break;
    case DType::kInt16:
      t.data<int16_t>()[i] = static_cast<int16_t>(v);
      break;
    default:
      t.data<int32_t>()[i] = static_cast<int32_t>(v);
      break;
  }
}

// Rounds `v` to what a `dtype` variable would hold, so arithmetic "in" that type matches.
double round_to(DType dtype, double v) {
  switch (dtype) {
    case DType::kFloat32:
      return static_cast<float>(v);
    case DType::kFloat16:
      return to_float(to_float16(static_cast<float>(v)));
    case DType::kBFloat16:
      return to_float(to_bfloat16(static_cast<float>(v)));
    default:
      return v;
  }
}

// Maps each element of x to the scale/zero-point element that applies to it.
class ParamIndex {
 public:
  ParamIndex(const KernelContext& ctx, const Tensor& x, const Tensor& scale) {
    const Node& node = ctx.node();
    const int64_t block = node.attr_int("block_size", 0);
    if (block < 0) bad(node, fmt::format("block_size {} is negative", block));
    if (ctx.has_input(2) && ctx.input(2).shape() != scale.shape() &&
        (ctx.input(2).numel() != 1 || scale.numel() != 1)) {
      bad(node, fmt::format("zero point shape {} differs from scale shape {}",
                            shape_to_string(ctx.input(2).shape()), shape_to_string(scale.shape())));
    }
    if (block == 0 && scale.numel() == 1 && scale.rank() <= 1) return;  // per tensor
    if (x.rank() == 0) bad(node, "a scalar input needs a scalar scale");
    axis_ = normalize_axis(node.attr_int("axis", 1), x.rank(), node);
    const Shape& xs = x.shape();
    dim_ = xs[static_cast<size_t>(axis_)];
    inner_ = 1;
    for (size_t a = static_cast<size_t>(axis_) + 1; a < xs.size(); ++a) inner_ *= xs[a];
    if (block == 0) {
      if (scale.rank() != 1 || scale.dim(0) != dim_) {
        bad(node, fmt::format("per-axis scale must be [{}], got {}", dim_,
                              shape_to_string(scale.shape())));
      }
      per_axis_ = true;
      return;
    }
    // Blocked: scale has x's shape except ceil(dim / block) along the axis.
    Shape want = xs;
    want[static_cast<size_t>(axis_)] = (dim_ + block - 1) / block;
    if (scale.shape() != want) {
      bad(node, fmt::format("blocked scale must be {} for block_size {}, got {}",
                            shape_to_string(want), block, shape_to_string(scale.shape())));
    }
    block_ = block;
    blocks_ = want[static_cast<size_t>(axis_)];
  }

  int64_t operator()(int64_t flat) const {
    if (per_axis_) return (flat / inner_) % dim_;
    if (block_ == 0) return 0;
    const int64_t inner_idx = flat % inner_;
    const int64_t c = (flat / inner_) % dim_;
    const int64_t outer = flat / (inner_ * dim_);
    return (outer * blocks_ + c / block_) * inner_ + inner_idx;
  }

 private:
  int64_t axis_ = 0, dim_ = 1, inner_ = 1, block_ = 0, blocks_ = 1;
  bool per_axis_ = false;
};

void quantize_linear(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  if (!is_float_family(x.dtype())) unsupported_dtype(node, x.dtype());
  if (!is_float_family(scale.dtype())) unsupported_dtype(node, scale.dtype());
  const int64_t attr_dtype = node.attr_int("output_dtype", 0);
  DType out_dtype = attr_dtype != 0 ? static_cast<DType>(attr_dtype) : DType::kUint8;
  if (ctx.has_input(2)) {
    if (attr_dtype != 0 && static_cast<DType>(attr_dtype) != ctx.input(2).dtype()) {
      bad(node, "output_dtype differs from the zero point's type");
    }
    out_dtype = ctx.input(2).dtype();
  }
  int64_t lo = 0, hi = 0;
  const bool is_int = int_range(out_dtype, lo, hi) && out_dtype != DType::kInt32;
  if (!is_int && !is_minifloat_dtype(out_dtype)) unsupported_dtype(node, out_dtype);
  // The division happens in the scale's precision unless `precision` names another type.
  const int64_t precision_attr = node.attr_int("precision", 0);
  const DType precision = precision_attr != 0 ? static_cast<DType>(precision_attr) : scale.dtype();
  const bool saturate = node.attr_int("saturate", 1) != 0;

  const ParamIndex param(ctx, x, scale);
  const std::vector<double> xv = read_doubles(x, node);
  const std::vector<double> sv = read_doubles(scale, node);
  const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  Tensor y(out_dtype, x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t p = param(i);
    const double q = round_to(
        precision, round_to(precision, xv[static_cast<size_t>(i)]) / sv[static_cast<size_t>(p)]);
    const double z = zp != nullptr ? quantized_value(*zp, p) : 0.0;
    if (is_int) {
      const double r = std::nearbyint(q) + z;  // default rounding mode: half to even
      const double c = std::isnan(r) ? 0.0 : std::clamp(r, double(lo), double(hi));
      store_integer(y, i, static_cast<int64_t>(c));
    } else {
      y.data<uint8_t>()[i] =
          static_cast<uint8_t>(encode_small_float(static_cast<float>(q + z), out_dtype, saturate));
    }
  }
  ctx.set_output(0, std::move(y));
}

void dequantize_linear(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  int64_t lo = 0, hi = 0;
  if (!int_range(x.dtype(), lo, hi) && !is_minifloat_dtype(x.dtype())) {
    unsupported_dtype(node, x.dtype());
  }
  if (!is_float_family(scale.dtype())) unsupported_dtype(node, scale.dtype());
  const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  if (zp != nullptr && zp->dtype() != x.dtype()) {
    bad(node, fmt::format("zero point type {} differs from input type {}", dtype_name(zp->dtype()),
                          dtype_name(x.dtype())));
  }
  const int64_t attr_dtype = node.attr_int("output_dtype", 0);
  const DType out_dtype = attr_dtype != 0 ? static_cast<DType>(attr_dtype) : scale.dtype();
  if (!is_float_family(out_dtype)) unsupported_dtype(node, out_dtype);

  const ParamIndex param(ctx, x, scale);
  const std::vector<double> sv = read_doubles(scale, node);
  std::vector<double> y(static_cast<size_t>(x.numel()));
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t p = param(i);
    const double z = zp != nullptr ? quantized_value(*zp, p) : 0.0;
    y[static_cast<size_t>(i)] = (quantized_value(x, i) - z) * sv[static_cast<size_t>(p)];
  }
  ctx.set_output(0, make_float_tensor(out_dtype, x.shape(), y, node));
}

// uint8 quantization whose range always includes 0: scale = (max - min) / 255 over
// [min(x, 0), max(x, 0)] and zero point = round(-min / scale).
void dynamic_quantize_linear(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DType::kFloat32) unsupported_dtype(node, x.dtype());
  const float* xv = x.data<float>();
  float mn = 0.0f, mx = 0.0f;
  for (int64_t i = 0; i < x.numel(); ++i) {
    mn = std::min(mn, xv[i]);
    mx = std::max(mx, xv[i]);
  }
  const float scale = (mx - mn) / 255.0f;
  const float zp_f = scale == 0.0f ? 0.0f : std::clamp(std::nearbyint(-mn / scale), 0.0f, 255.0f);
  const uint8_t zp = static_cast<uint8_t>(zp_f);
  Tensor& y = ctx.allocate_output(0, DType::kUint8, x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float q = scale == 0.0f ? 0.0f : std::nearbyint(xv[i] / scale) + zp_f;
    y.data<uint8_t>()[i] = static_cast<uint8_t>(std::clamp(q, 0.0f, 255.0f));
  }
  if (ctx.has_output(1)) ctx.allocate_output(1, DType::kFloat32, {}).data<float>()[0] = scale;
  if (ctx.has_output(2)) ctx.allocate_output(2, DType::kUint8, {}).data<uint8_t>()[0] = zp;
}

}  // namespace

void register_quantize_linear(KernelRegistry& registry) {
  registry.add({"QuantizeLinear", "", 10, 1 << 20, quantize_linear});
  registry.add({"DequantizeLinear", "", 10, 1 << 20, dequantize_linear});
  registry.add({"DynamicQuantizeLinear", "", 11, 1 << 20, dynamic_quantize_linear});
}

}  // namespace bog::runtime::ref
