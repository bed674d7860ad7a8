// LpNormalization: X divided by its L1 or L2 norm along `axis` (default -1), p in {1, 2}.
// A zero norm (an all-zero slice) gives zeros rather than 0/0, as ONNX's expected data has.
#include <fmt/format.h>

#include <cmath>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/existing_axis.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

void compute_lp_normalization(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  require_real(x, node);
  const int64_t axis = normalize_existing_axis(node.attr_int("axis", -1), x.rank(), node);
  const int64_t p = node.attr_int("p", 2);
  if (p != 1 && p != 2) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("LpNormalization node '{}': p must be 1 or 2, got {}", node.name, p));
  }
  std::vector<bool> reduced(static_cast<size_t>(x.rank()), false);
  reduced[static_cast<size_t>(axis)] = true;
  const ReductionPlan plan = plan_reduction(x.shape(), reduced, true);
  const std::vector<double> in = to_doubles(x);
  std::vector<double> y(in.size());
  for (const int64_t base : plan.bases) {
    double norm = 0;
    for (const int64_t off : plan.offsets) {
      const double v = in[static_cast<size_t>(base + off)];
      norm += p == 1 ? std::fabs(v) : v * v;
    }
    if (p == 2) norm = std::sqrt(norm);
    for (const int64_t off : plan.offsets) {
      y[static_cast<size_t>(base + off)] =
          norm == 0 ? 0.0 : in[static_cast<size_t>(base + off)] / norm;
    }
  }
  store_doubles(y, ctx.allocate_output(0, x.dtype(), x.shape()));
}

}  // namespace

void register_lp_normalization_kernels(KernelRegistry& registry) {
  registry.add({"LpNormalization", "", 1, 1 << 20, compute_lp_normalization});
}

}  // namespace bog::runtime::ref
