// LayerNormalization (opset 17): normalizes over the trailing dims from `axis` (default -1),
//   Y = (X - mean) * InvStdDev * Scale + B,  InvStdDev = 1 / sqrt(var + epsilon),
// with the population variance. Optional outputs Mean and InvStdDev have X's leading dims and
// 1 for each normalized dim. Computed in double (at least the stash_type precision).
#include <cmath>

#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

void compute_layer_normalization(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  require_real(x, node);
  const int64_t axis = normalize_axis(node.attr_int("axis", -1), x.rank(), node);
  const double epsilon = node.attr_float("epsilon", 1e-5f);
  const Shape norm_shape(x.shape().begin() + axis, x.shape().end());
  const std::vector<double> scale = broadcast_to(ctx.input(1), norm_shape, node);
  const std::vector<double> bias = ctx.has_input(2) ? broadcast_to(ctx.input(2), norm_shape, node)
                                                    : std::vector<double>(scale.size(), 0.0);
  const int64_t rows = dims_product(x.shape(), 0, static_cast<size_t>(axis));
  const int64_t cols = dims_product(x.shape(), static_cast<size_t>(axis), x.shape().size());
  const std::vector<double> in = to_doubles(x);
  std::vector<double> y(in.size()), mean(static_cast<size_t>(rows)), inv_std(mean.size());
  for (int64_t r = 0; r < rows; ++r) {
    const double* row = in.data() + r * cols;
    double m = 0;
    for (int64_t c = 0; c < cols; ++c) m += row[c];
    m /= static_cast<double>(cols);
    double var = 0;
    for (int64_t c = 0; c < cols; ++c) var += (row[c] - m) * (row[c] - m);
    var /= static_cast<double>(cols);
    const double inv = 1.0 / std::sqrt(var + epsilon);
    for (int64_t c = 0; c < cols; ++c) {
      y[static_cast<size_t>(r * cols + c)] =
          (row[c] - m) * inv * scale[static_cast<size_t>(c)] + bias[static_cast<size_t>(c)];
    }
    mean[static_cast<size_t>(r)] = m;
    inv_std[static_cast<size_t>(r)] = inv;
  }
  store_doubles(y, ctx.allocate_output(0, x.dtype(), x.shape()));
  // Mean/InvStdDev are stashed in float32 for 16-bit inputs (stash_type 1), else in X's type.
  const DType stat_type = (x.dtype() == DType::kFloat16 || x.dtype() == DType::kBFloat16) &&
                                  node.attr_int("stash_type", 1) == 1
                              ? DType::kFloat32
                              : x.dtype();
  Shape stat_shape(x.shape().begin(), x.shape().begin() + axis);
  stat_shape.resize(x.shape().size(), 1);
  if (ctx.has_output(1)) store_doubles(mean, ctx.allocate_output(1, stat_type, stat_shape));
  if (ctx.has_output(2)) store_doubles(inv_std, ctx.allocate_output(2, stat_type, stat_shape));
}

}  // namespace

void register_layer_normalization_kernels(KernelRegistry& registry) {
  registry.add({"LayerNormalization", "", 17, 1 << 20, compute_layer_normalization});
}

}  // namespace bog::runtime::ref
