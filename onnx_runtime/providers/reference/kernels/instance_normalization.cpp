// InstanceNormalization: per sample and channel, over the spatial dims,
//   Y = (X - mean) / sqrt(var + epsilon) * scale[c] + B[c]   (population variance).
#include <cmath>

#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

void compute_instance_normalization(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  require_real(x, node);
  if (x.rank() < 2) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("InstanceNormalization node '{}': X must be at least 2-D, got {}",
                            node.name, shape_to_string(x.shape())));
  }
  const double epsilon = node.attr_float("epsilon", 1e-5f);
  const int64_t channels = x.dim(1);
  const std::vector<double> scale = broadcast_to(ctx.input(1), {channels}, node);
  const std::vector<double> bias = broadcast_to(ctx.input(2), {channels}, node);
  const int64_t inner = dims_product(x.shape(), 2, x.shape().size());
  const std::vector<double> in = to_doubles(x);
  std::vector<double> y(in.size());
  for (int64_t g = 0; g < x.dim(0) * channels; ++g) {
    const size_t c = static_cast<size_t>(g % channels);
    const double* v = in.data() + g * inner;
    double m = 0, var = 0;
    for (int64_t i = 0; i < inner; ++i) m += v[i];
    m /= static_cast<double>(inner);
    for (int64_t i = 0; i < inner; ++i) var += (v[i] - m) * (v[i] - m);
    var /= static_cast<double>(inner);
    for (int64_t i = 0; i < inner; ++i) {
      y[static_cast<size_t>(g * inner + i)] =
          (v[i] - m) / std::sqrt(var + epsilon) * scale[c] + bias[c];
    }
  }
  store_doubles(y, ctx.allocate_output(0, x.dtype(), x.shape()));
}

}  // namespace

void register_instance_normalization_kernels(KernelRegistry& registry) {
  registry.add({"InstanceNormalization", "", 1, 1 << 20, compute_instance_normalization});
}

}  // namespace bog::runtime::ref
