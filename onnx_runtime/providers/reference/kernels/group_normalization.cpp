// GroupNormalization: channels split into num_groups groups; each (sample, group) is normalized
// over its channels and spatial dims, then scaled and shifted. Opset 18 takes scale/bias per
// group ([num_groups]); opset 21 per channel ([C]).
#include <fmt/format.h>

#include <cmath>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

void compute_group_normalization(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  require_real(x, node);
  const int64_t groups = node.attr_int("num_groups", 0);
  if (x.rank() < 2 || groups <= 0 || x.dim(1) % groups != 0) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("GroupNormalization node '{}': num_groups {} must divide the channels "
                            "of X{}",
                            node.name, groups, shape_to_string(x.shape())));
  }
  const double epsilon = node.attr_float("epsilon", 1e-5f);
  const int64_t channels = x.dim(1);
  const bool per_channel = ctx.opset() >= 21;
  const int64_t params = per_channel ? channels : groups;
  const std::vector<double> scale = broadcast_to(ctx.input(1), {params}, node);
  const std::vector<double> bias = broadcast_to(ctx.input(2), {params}, node);
  const int64_t inner = dims_product(x.shape(), 2, x.shape().size());
  const int64_t group_size = channels / groups * inner;
  const std::vector<double> in = to_doubles(x);
  std::vector<double> y(in.size());
  for (int64_t g = 0; g < x.dim(0) * groups; ++g) {
    const double* v = in.data() + g * group_size;
    double m = 0, var = 0;
    for (int64_t i = 0; i < group_size; ++i) m += v[i];
    m /= static_cast<double>(group_size);
    for (int64_t i = 0; i < group_size; ++i) var += (v[i] - m) * (v[i] - m);
    var /= static_cast<double>(group_size);
    for (int64_t i = 0; i < group_size; ++i) {
      const int64_t channel = (g % groups) * (channels / groups) + i / inner;
      const size_t p = static_cast<size_t>(per_channel ? channel : g % groups);
      y[static_cast<size_t>(g * group_size + i)] =
          (v[i] - m) / std::sqrt(var + epsilon) * scale[p] + bias[p];
    }
  }
  store_doubles(y, ctx.allocate_output(0, x.dtype(), x.shape()));
}

}  // namespace

void register_group_normalization_kernels(KernelRegistry& registry) {
  registry.add({"GroupNormalization", "", 18, 20, compute_group_normalization});
  registry.add({"GroupNormalization", "", 21, 1 << 20, compute_group_normalization});
}

}  // namespace bog::runtime::ref
