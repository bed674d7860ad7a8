// MeanVarianceNormalization: over `axes` (default [0, 2, 3]),
//   Y = (X - E[X]) / (sqrt(E[X^2] - E[X]^2) + 1e-9),
// the epsilon placement of the operator's function body.
#include <fmt/format.h>

#include <cmath>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/existing_axis.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

void compute_mean_variance_normalization(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  require_real(x, node);
  const std::vector<int64_t> axes = node.attr_ints("axes", {0, 2, 3});
  std::vector<bool> reduced(static_cast<size_t>(x.rank()), false);
  for (const int64_t a : axes)
    reduced[static_cast<size_t>(normalize_existing_axis(a, x.rank(), node))] = true;
  const ReductionPlan plan = plan_reduction(x.shape(), reduced, true);
  const std::vector<double> in = to_doubles(x);
  std::vector<double> y(in.size());
  const double n = static_cast<double>(plan.offsets.size());
  for (const int64_t base : plan.bases) {
    double m = 0, sq = 0;
    for (const int64_t off : plan.offsets) {
      const double v = in[static_cast<size_t>(base + off)];
      m += v;
      sq += v * v;
    }
    m /= n;
    sq /= n;
    const double std_dev = std::sqrt(std::max(sq - m * m, 0.0));
    for (const int64_t off : plan.offsets) {
      y[static_cast<size_t>(base + off)] =
          (in[static_cast<size_t>(base + off)] - m) / (std_dev + 1e-9);
    }
  }
  store_doubles(y, ctx.allocate_output(0, x.dtype(), x.shape()));
}

}  // namespace

void register_mean_variance_normalization_kernels(KernelRegistry& registry) {
  registry.add({"MeanVarianceNormalization", "", 9, 1 << 20, compute_mean_variance_normalization});
}

}  // namespace bog::runtime::ref
