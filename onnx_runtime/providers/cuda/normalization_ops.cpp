// LayerNormalization, RMSNormalization, Softmax and LogSoftmax on the device.
#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/providers/cuda/cuda_ops.h"

namespace bog::runtime::cuda {
namespace {

// Scale and bias must hold one value per normalized element (the form exporters emit); other
// broadcasts are valid ONNX but not implemented here.
const float* per_feature(const KernelContext& k, size_t i, int64_t cols) {
  if (!k.has_input(i)) return nullptr;
  const Tensor& t = k.input(i);
  require_float(t, k.node(), i);
  if (t.numel() != cols) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("cuda: {} node '{}': input {} has shape {}, only one value per "
                            "normalized element ({}) is implemented",
                            k.node().op_type, k.node().name, i, shape_to_string(t.shape()), cols));
  }
  return t.data<float>();
}

void compute_norm(KernelContext& k, const OpEnv& env, bool rms) {
  const Node& node = k.node();
  const Tensor& x = k.input(0);
  require_float(x, node, 0);
  const int64_t axis = normalize_axis(node.attr_int("axis", -1), x.rank(), node);
  const float eps = node.attr_float("epsilon", 1e-5f);
  const int64_t rows = dims_product(x.shape(), 0, static_cast<size_t>(axis));
  const int64_t cols = dims_product(x.shape(), static_cast<size_t>(axis), x.shape().size());
  const float* scale = per_feature(k, 1, cols);
  if (scale == nullptr) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': scale is required", node.op_type, node.name));
  }
  Tensor& y = allocate_output(k, env, 0, DType::kFloat32, x.shape());
  if (rms) {
    launch_rms_norm(x.data<float>(), scale, 1, y.data<float>(), rows, cols, eps, env.ctx->stream());
    check_launch("RMSNormalization");
    return;
  }
  const float* bias = per_feature(k, 2, cols);
  Shape stat_shape(x.shape().begin(), x.shape().begin() + axis);
  stat_shape.resize(x.shape().size(), 1);
  float* mean = nullptr;
  float* inv_std = nullptr;
  if (k.has_output(1)) mean = allocate_output(k, env, 1, DType::kFloat32, stat_shape).data<float>();
  if (k.has_output(2)) {
    inv_std = allocate_output(k, env, 2, DType::kFloat32, stat_shape).data<float>();
  }
  launch_layer_norm(x.data<float>(), scale, bias, k.outputs()[0].tensor.data<float>(), mean,
                    inv_std, rows, cols, eps, env.ctx->stream());
  check_launch("LayerNormalization");
}

void compute_softmax(KernelContext& k, const OpEnv& env, bool log) {
  const Node& node = k.node();
  const Tensor& x = k.input(0);
  require_float(x, node, 0);
  const int64_t axis = normalize_axis(node.attr_int("axis", -1), x.rank(), node);
  const int64_t outer = dims_product(x.shape(), 0, static_cast<size_t>(axis));
  const int64_t inner = dims_product(x.shape(), static_cast<size_t>(axis) + 1, x.shape().size());
  const int64_t dim = x.rank() == 0 ? 1 : x.dim(axis);
  Tensor& y = allocate_output(k, env, 0, DType::kFloat32, x.shape());
  launch_softmax(x.data<float>(), y.data<float>(), outer, dim, inner, log, env.ctx->stream());
  check_launch(log ? "LogSoftmax" : "Softmax");
}

}  // namespace

void register_normalization_ops(KernelRegistry& r, const OpEnv* env) {
  r.add({"LayerNormalization", "", 17, 1 << 20,
         [env](KernelContext& k) { compute_norm(k, *env, false); }});
  r.add({"RMSNormalization", "", 23, 1 << 20,
         [env](KernelContext& k) { compute_norm(k, *env, true); }});
  // Opset 13 changed Softmax from "flatten to 2-D at axis" to "along one axis"; only the
  // latter is implemented, so older models fall back.
  r.add({"Softmax", "", 13, 1 << 20, [env](KernelContext& k) { compute_softmax(k, *env, false); }});
  r.add({"LogSoftmax", "", 13, 1 << 20,
         [env](KernelContext& k) { compute_softmax(k, *env, true); }});
}

}  // namespace bog::runtime::cuda
