// RMSNormalization (opset 23): over the trailing dims from `axis` (default -1),
//   Y = X / sqrt(mean(X^2) + epsilon) * scale.
// Computed in double (at least the stash_type precision).
#include <cmath>

#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

void compute_rms_normalization(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  require_real(x, node);
  const int64_t axis = normalize_axis(node.attr_int("axis", -1), x.rank(), node);
  const double epsilon = node.attr_float("epsilon", 1e-5f);
  const Shape norm_shape(x.shape().begin() + axis, x.shape().end());
  const std::vector<double> scale = broadcast_to(ctx.input(1), norm_shape, node);
  const int64_t rows = dims_product(x.shape(), 0, static_cast<size_t>(axis));
  const int64_t cols = dims_product(x.shape(), static_cast<size_t>(axis), x.shape().size());
  const std::vector<double> in = to_doubles(x);
  std::vector<double> y(in.size());
  for (int64_t r = 0; r < rows; ++r) {
    const double* row = in.data() + r * cols;
    double ms = 0;
    for (int64_t c = 0; c < cols; ++c) ms += row[c] * row[c];
    ms /= static_cast<double>(cols);
    const double inv = 1.0 / std::sqrt(ms + epsilon);
    for (int64_t c = 0; c < cols; ++c) {
      y[static_cast<size_t>(r * cols + c)] = row[c] * inv * scale[static_cast<size_t>(c)];
    }
  }
  store_doubles(y, ctx.allocate_output(0, x.dtype(), x.shape()));
}

}  // namespace

void register_rms_normalization_kernels(KernelRegistry& registry) {
  registry.add({"RMSNormalization", "", 23, 1 << 20, compute_rms_normalization});
}

}  // namespace bog::runtime::ref
