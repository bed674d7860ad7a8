// Softmax, LogSoftmax and Hardmax. Before opset 13 the input is coerced to 2-D at `axis`
// (default 1) and the op runs over each row of the flattened [D0*..*D(axis-1), rest] matrix;
// from 13 it runs along the single `axis` (default -1). Computed in double; the row max is
// subtracted before exp so large inputs neither overflow nor lose the small terms.
#include <cmath>

#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

enum class SoftmaxOp { kSoftmax, kLogSoftmax, kHardmax };

void softmax_row(SoftmaxOp op, std::vector<double>& row) {
  if (row.empty()) return;
  double m = row[0];
  size_t arg = 0;
  for (size_t i = 1; i < row.size(); ++i) {
    if (row[i] > m) {
      m = row[i];
      arg = i;
    }
  }
  if (op == SoftmaxOp::kHardmax) {
    for (size_t i = 0; i < row.size(); ++i) row[i] = i == arg ? 1.0 : 0.0;
    return;
  }
  double sum = 0;
  for (const double v : row) sum += std::exp(v - m);
  for (double& v : row) {
    v = op == SoftmaxOp::kSoftmax ? std::exp(v - m) / sum : (v - m) - std::log(sum);
  }
}

void compute_softmax(KernelContext& ctx, SoftmaxOp op) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  require_real(x, node);
  // A scalar has no axis to normalise over (found by the fuzz target: it indexed an empty vector).
  if (x.rank() == 0) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': input is a scalar; it needs rank >= 1", node.op_type,
                            node.name));
  }
  const bool coerce_2d = ctx.opset() < 13;
  const int64_t axis = normalize_axis(node.attr_int("axis", coerce_2d ? 1 : -1), x.rank(), node);
  std::vector<bool> reduced(static_cast<size_t>(x.rank()), false);
  for (int64_t a = axis; a < (coerce_2d ? x.rank() : axis + 1); ++a) {
    reduced[static_cast<size_t>(a)] = true;
  }
  const ReductionPlan plan = plan_reduction(x.shape(), reduced, true);
  const std::vector<double> in = to_doubles(x);
  std::vector<double> out(in.size());
  std::vector<double> row(plan.offsets.size());
  for (const int64_t base : plan.bases) {
    for (size_t r = 0; r < row.size(); ++r)
      row[r] = in[static_cast<size_t>(base + plan.offsets[r])];
    softmax_row(op, row);
    for (size_t r = 0; r < row.size(); ++r)
      out[static_cast<size_t>(base + plan.offsets[r])] = row[r];
  }
  store_doubles(out, ctx.allocate_output(0, x.dtype(), x.shape()));
}

}  // namespace

void register_softmax_kernels(KernelRegistry& registry) {
  const std::pair<const char*, SoftmaxOp> ops[] = {{"Softmax", SoftmaxOp::kSoftmax},
                                                   {"LogSoftmax", SoftmaxOp::kLogSoftmax},
                                                   {"Hardmax", SoftmaxOp::kHardmax}};
  for (const auto& [name, op] : ops) {
    const KernelFn fn = [op = op](KernelContext& ctx) { compute_softmax(ctx, op); };
    registry.add({name, "", 1, 12, fn});  // coerce to 2-D at axis
    registry.add({name, "", 13, 1 << 20, fn});
  }
}

}  // namespace bog::runtime::ref
