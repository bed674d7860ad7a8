// Shrink: Y = X + bias if X < -lambd, X - bias if X > lambd, else 0 (lambd 0.5, bias 0).
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

void compute_shrink(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  if (!is_real_dtype(x.dtype()) && !is_integer_type(x.dtype())) unsupported_dtype(node, x.dtype());
  const double lambd = node.attr_float("lambd", 0.5f);
  const double bias = node.attr_float("bias", 0.0f);
  std::vector<double> v = to_doubles(x);
  for (double& e : v) e = e < -lambd ? e + bias : (e > lambd ? e - bias : 0.0);
  store_doubles(v, ctx.allocate_output(0, x.dtype(), x.shape()));
}

}  // namespace

void register_shrink_kernels(KernelRegistry& registry) {
  registry.add({"Shrink", "", 9, 1 << 20, compute_shrink});
}

}  // namespace bog::runtime::ref
