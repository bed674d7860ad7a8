#include "onnx_runtime/providers/reference/kernels/float_io.h"

#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::ref {

bool is_float_family(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kFloat64 || dtype == DType::kFloat16 ||
         dtype == DType::kBFloat16;
}

std::vector<double> read_doubles(const Tensor& t, const Node& node) {
  std::vector<double> out(static_cast<size_t>(t.numel()));
  switch (t.dtype()) {
    case DType::kFloat32:
      for (size_t i = 0; i < out.size(); ++i) out[i] = t.data<float>()[i];
      break;
    case DType::kFloat64:
      for (size_t i = 0; i < out.size(); ++i) out[i] = t.data<double>()[i];
      break;
    case DType::kFloat16:
      for (size_t i = 0; i < out.size(); ++i) out[i] = to_float(t.data<Float16>()[i]);
      break;
    case DType::kBFloat16:
      for (size_t i = 0; i < out.size(); ++i) out[i] = to_float(t.data<BFloat16>()[i]);
      break;
    default:
      unsupported_dtype(node, t.dtype());
  }
  return out;
}

std::vector<double> read_numeric_as_doubles(const Tensor& t, const Node& node) {
  if (is_float_family(t.dtype())) return read_doubles(t, node);
  std::vector<double> out(static_cast<size_t>(t.numel()));
  if (t.dtype() == DType::kBool) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = t.data<bool>()[i] ? 1.0 : 0.0;
    return out;
  }
  dispatch_numeric(t.dtype(), node, [&](auto zero) {
    using T = decltype(zero);
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(t.data<T>()[i]);
  });
  return out;
}

Tensor make_float_tensor(DType dtype, Shape shape, const std::vector<double>& values,
                         const Node& node) {
  Tensor out(dtype, std::move(shape));
  const size_t n = static_cast<size_t>(out.numel());
  if (values.size() < n) {
    throw Error(ErrorCategory::kInternal,
                fmt::format("{} node '{}': {} values for a tensor of {} elements", node.op_type,
                            node.name, values.size(), n));
  }
  switch (dtype) {
    case DType::kFloat32:
      for (size_t i = 0; i < n; ++i) out.data<float>()[i] = static_cast<float>(values[i]);
      break;
    case DType::kFloat64:
      for (size_t i = 0; i < n; ++i) out.data<double>()[i] = values[i];
      break;
    case DType::kFloat16:
      for (size_t i = 0; i < n; ++i) {
        out.data<Float16>()[i] = to_float16(static_cast<float>(values[i]));
      }
      break;
    case DType::kBFloat16:
      for (size_t i = 0; i < n; ++i) {
        out.data<BFloat16>()[i] = to_bfloat16(static_cast<float>(values[i]));
      }
      break;
    default:
      unsupported_dtype(node, dtype);
  }
  return out;
}

}  // namespace bog::runtime::ref
