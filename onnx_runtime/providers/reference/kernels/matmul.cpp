// MatMul with numpy semantics (1-D promotion, broadcast batch dims). Floats accumulate in
// double; integers in int64 with wraparound, as the element type would.
#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {

MatMulPlan plan_matmul(const Shape& a, const Shape& b, const Node& node) {
  if (a.empty() || b.empty()) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': operands must have rank >= 1", node.op_type, node.name));
  }
  const Shape a2 = a.size() == 1 ? Shape{1, a[0]} : a;
  const Shape b2 = b.size() == 1 ? Shape{b[0], 1} : b;
  MatMulPlan plan;
  plan.m = a2[a2.size() - 2];
  plan.k = a2.back();
  plan.n = b2.back();
  if (b2[b2.size() - 2] != plan.k) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': inner dims differ: {} x {}", node.op_type, node.name,
                            shape_to_string(a), shape_to_string(b)));
  }
  const Shape a_batch(a2.begin(), a2.end() - 2);
  const Shape b_batch(b2.begin(), b2.end() - 2);
  const Shape batch = broadcast_shapes({&a_batch, &b_batch}, node);
  for (const int64_t i : broadcast_index_map(a_batch, batch))
    plan.a_base.push_back(i * plan.m * plan.k);
  for (const int64_t i : broadcast_index_map(b_batch, batch))
    plan.b_base.push_back(i * plan.k * plan.n);
  plan.out_shape = batch;
  if (a.size() > 1) plan.out_shape.push_back(plan.m);
  if (b.size() > 1) plan.out_shape.push_back(plan.n);
  return plan;
}

namespace {

template <class Acc>
std::vector<Acc> batched_matmul(const MatMulPlan& p, const std::vector<Acc>& a,
                                const std::vector<Acc>& b) {
  std::vector<Acc> out(p.a_base.size() * static_cast<size_t>(p.m * p.n));
  size_t o = 0;
  for (size_t batch = 0; batch < p.a_base.size(); ++batch) {
    for (int64_t i = 0; i < p.m; ++i) {
      for (int64_t j = 0; j < p.n; ++j) {
        Acc s = 0;
        for (int64_t t = 0; t < p.k; ++t) {
          s += a[static_cast<size_t>(p.a_base[batch] + i * p.k + t)] *
               b[static_cast<size_t>(p.b_base[batch] + t * p.n + j)];
        }
        out[o++] = s;
      }
    }
  }
  return out;
}

void compute_matmul(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.dtype() != b.dtype()) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': operand dtypes differ ({} vs {})", node.op_type,
                            node.name, dtype_name(a.dtype()), dtype_name(b.dtype())));
  }
  const MatMulPlan plan = plan_matmul(a.shape(), b.shape(), node);
  Tensor& y = ctx.allocate_output(0, a.dtype(), plan.out_shape);
  if (is_real_dtype(a.dtype())) {
    store_doubles(batched_matmul(plan, to_doubles(a), to_doubles(b)), y);
  } else if (is_integer_type(a.dtype())) {
    // uint64 arithmetic wraps where int64 would overflow (UB); same bits either way.
    const std::vector<int64_t> ai = to_int64s(a), bi = to_int64s(b);
    const std::vector<uint64_t> au(ai.begin(), ai.end()), bu(bi.begin(), bi.end());
    const std::vector<uint64_t> r = batched_matmul(plan, au, bu);
    store_int64s(std::vector<int64_t>(r.begin(), r.end()), y);
  } else {
    unsupported_dtype(node, a.dtype());
  }
}

// Zero point: a scalar, or a 1-D tensor of `count` entries indexed per row (A) / column (B).
std::vector<int64_t> zero_points(const KernelContext& ctx, size_t input, int64_t count) {
  std::vector<int64_t> zp(static_cast<size_t>(count), 0);
  if (!ctx.has_input(input)) return zp;
  const Tensor& t = ctx.input(input);
  const std::vector<int64_t> v = to_int64s(t);
  if (v.size() == 1) return std::vector<int64_t>(static_cast<size_t>(count), v[0]);
  if (static_cast<int64_t>(v.size()) != count) {
    throw Error(
        ErrorCategory::kUnsupported,
        fmt::format("{} node '{}': zero point of shape {} (want a scalar or {} values)",
                    ctx.node().op_type, ctx.node().name, shape_to_string(t.shape()), count));
  }
  return v;
}

void compute_matmul_integer(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  for (const Tensor* t : {&a, &b}) {
    if (t->dtype() != DType::kInt8 && t->dtype() != DType::kUint8)
      unsupported_dtype(node, t->dtype());
  }
  const MatMulPlan plan = plan_matmul(a.shape(), b.shape(), node);
  const std::vector<int64_t> a_zp = zero_points(ctx, 2, plan.m);
  const std::vector<int64_t> b_zp = zero_points(ctx, 3, plan.n);
  std::vector<int64_t> av = to_int64s(a), bv = to_int64s(b);
  for (size_t i = 0; i < av.size(); ++i) {
    av[i] -= a_zp[static_cast<size_t>((static_cast<int64_t>(i) / plan.k) % plan.m)];
  }
  for (size_t i = 0; i < bv.size(); ++i) {
    bv[i] -= b_zp[static_cast<size_t>(static_cast<int64_t>(i) % plan.n)];
  }
  Tensor& y = ctx.allocate_output(0, DType::kInt32, plan.out_shape);
  store_int64s(batched_matmul(plan, av, bv), y);
}

}  // namespace

void register_matmul_kernels(KernelRegistry& registry) {
  registry.add({"MatMul", "", 1, 1 << 20, compute_matmul});
  registry.add({"MatMulInteger", "", 10, 1 << 20, compute_matmul_integer});
}

}  // namespace bog::runtime::ref
