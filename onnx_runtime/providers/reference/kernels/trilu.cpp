// Trilu: keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two axes.
#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

void trilu(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  if (in.rank() < 2) fail(node, "input must have rank >= 2");
  const int64_t k = ctx.has_input(1) ? read_scalar_int(ctx.input(1), node, "k") : 0;
  const bool upper = node.attr_int("upper", 1) != 0;
  const int64_t rows = in.dim(in.rank() - 2);
  const int64_t cols = in.dim(in.rank() - 1);
  std::vector<int64_t> map(static_cast<size_t>(in.numel()));
  for (int64_t e = 0; e < in.numel(); ++e) {
    const int64_t i = (e / cols) % rows;
    const int64_t j = e % cols;
    const bool keep = upper ? j - i >= k : j - i <= k;
    map[static_cast<size_t>(e)] = keep ? e : -1;
  }
  ctx.set_output(0, gather_by_map(in, in.shape(), map));
}

}  // namespace

void register_trilu_kernels(KernelRegistry& registry) {
  registry.add({"Trilu", "", 14, 1 << 20, trilu});
}

}  // namespace bog::runtime::ref
