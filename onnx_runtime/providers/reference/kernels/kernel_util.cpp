#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::ref {

Tensor to_float32(const Tensor& t) {
  if (t.dtype() == DType::kFloat32) return t.clone();
  Tensor out(DType::kFloat32, t.shape());
  float* o = out.data<float>();
  const int64_t n = t.numel();
  switch (t.dtype()) {
    case DType::kFloat16:
      for (int64_t i = 0; i < n; ++i) o[i] = to_float(t.data<Float16>()[i]);
      break;
    case DType::kBFloat16:
      for (int64_t i = 0; i < n; ++i) o[i] = to_float(t.data<BFloat16>()[i]);
      break;
    case DType::kFloat64:
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<float>(t.data<double>()[i]);
      break;
    default:
      throw Error(ErrorCategory::kUnsupported,
                  fmt::format("cannot widen {} to float32", dtype_name(t.dtype())));
  }
  return out;
}

Tensor from_float32(const Tensor& t, DType target) {
  if (target == DType::kFloat32) return t.clone();
  Tensor out(target, t.shape());
  const float* x = t.data<float>();
  const int64_t n = t.numel();
  switch (target) {
    case DType::kFloat16:
      for (int64_t i = 0; i < n; ++i) out.data<Float16>()[i] = to_float16(x[i]);
      break;
    case DType::kBFloat16:
      for (int64_t i = 0; i < n; ++i) out.data<BFloat16>()[i] = to_bfloat16(x[i]);
      break;
    case DType::kFloat64:
      for (int64_t i = 0; i < n; ++i) out.data<double>()[i] = x[i];
      break;
    default:
      throw Error(ErrorCategory::kUnsupported,
                  fmt::format("cannot narrow float32 to {}", dtype_name(target)));
  }
  return out;
}

}  // namespace bog::runtime::ref
