// DequantizeLinear for the per-tensor int8/uint8 -> float32 form the dynamic quantizer writes
// after its int8 embedding Gather: y = float(x - zero_point) * scale in one vectorisable loop.
// x - zero_point is an exact small integer, so the float product equals the reference kernel's
// double product rounded to float, bit for bit. Per-axis, blocked and other dtypes go to
// `fallback` (the reference kernel).
#include <cstdint>

#include "onnx_runtime/providers/cpu/quant/quant_kernels.h"

namespace bog::runtime::cpu {
namespace {

template <typename T>
void dequantize(const T* x, int64_t n, int32_t zero_point, float scale, float* y) {
  for (int64_t i = 0; i < n; ++i) {
    y[i] = static_cast<float>(static_cast<int32_t>(x[i]) - zero_point) * scale;
  }
}

bool per_tensor_form(const KernelContext& ctx, bool float_out) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DType::kInt8 && x.dtype() != DType::kUint8) return false;
  const Tensor& scale = ctx.input(1);
  if (scale.dtype() != DType::kFloat32 || scale.numel() != 1) return false;
  if (ctx.has_input(2)) {
    const Tensor& zp = ctx.input(2);
    if (zp.dtype() != x.dtype() || zp.numel() != 1) return false;
  }
  return float_out;
}

}  // namespace

KernelFn make_dequantize_linear(const Node& node, KernelFn fallback) {
  const int64_t out = node.attr_int("output_dtype", 0);
  const bool float_out = out == 0 || out == static_cast<int64_t>(DType::kFloat32);
  return [fallback, float_out](KernelContext& ctx) {
    if (ctx.num_inputs() < 2 || !per_tensor_form(ctx, float_out)) return fallback(ctx);
    const Tensor& x = ctx.input(0);
    const float scale = ctx.input(1).data<float>()[0];
    Tensor& y = ctx.output_uninit(0, DType::kFloat32, x.shape());
    const int64_t n = x.numel();
    if (x.dtype() == DType::kInt8) {
      const int32_t zp = ctx.has_input(2) ? ctx.input(2).data<int8_t>()[0] : 0;
      dequantize(x.data<int8_t>(), n, zp, scale, y.data<float>());
    } else {
      const int32_t zp = ctx.has_input(2) ? ctx.input(2).data<uint8_t>()[0] : 0;
      dequantize(x.data<uint8_t>(), n, zp, scale, y.data<float>());
    }
  };
}

}  // namespace bog::runtime::cpu
