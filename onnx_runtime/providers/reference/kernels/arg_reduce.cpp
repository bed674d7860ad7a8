// ArgMax / ArgMin: int64 index of the first (or, with select_last_index, the last) extreme
// element along `axis` (default 0), keepdims default 1. NaN counts as the extreme, as numpy does.
#include <cmath>

#include "onnx_runtime/providers/reference/kernels/existing_axis.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

void compute_arg_reduce(KernelContext& ctx, bool is_max) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  if (!is_real_dtype(x.dtype()) && !is_integer_type(x.dtype())) unsupported_dtype(node, x.dtype());
  const int64_t axis = normalize_existing_axis(node.attr_int("axis", 0), x.rank(), node);
  const bool keepdims = node.attr_int("keepdims", 1) != 0;
  const bool last = node.attr_int("select_last_index", 0) != 0;
  std::vector<bool> reduced(static_cast<size_t>(x.rank()), false);
  reduced[static_cast<size_t>(axis)] = true;
  const ReductionPlan plan = plan_reduction(x.shape(), reduced, keepdims);
  if (x.dim(axis) == 0 && !plan.bases.empty()) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("{} node '{}': cannot take the arg of an empty axis {}", node.op_type,
                            node.name, axis));
  }
  Tensor& y = ctx.allocate_output(0, DType::kInt64, plan.out_shape);
  const std::vector<double> in = to_doubles(x);
  int64_t* out = y.data<int64_t>();
  for (size_t o = 0; o < plan.bases.size(); ++o) {
    int64_t best = 0;
    double best_v = in[static_cast<size_t>(plan.bases[o])];
    for (size_t r = 1; r < plan.offsets.size(); ++r) {
      const double v = in[static_cast<size_t>(plan.bases[o] + plan.offsets[r])];
      if (std::isnan(best_v)) break;  // the first NaN wins
      const bool better = std::isnan(v) || (is_max ? v > best_v : v < best_v);
      if (better || (last && v == best_v)) {
        best = static_cast<int64_t>(r);
        best_v = v;
      }
    }
    out[o] = best;
  }
}

}  // namespace

void register_arg_reduce_kernels(KernelRegistry& registry) {
  // One def per op: later versions only add negative axes (11) and select_last_index (12).
  registry.add(
      {"ArgMax", "", 1, 1 << 20, [](KernelContext& ctx) { compute_arg_reduce(ctx, true); }});
  registry.add(
      {"ArgMin", "", 1, 1 << 20, [](KernelContext& ctx) { compute_arg_reduce(ctx, false); }});
}

}  // namespace bog::runtime::ref
