// The small fused node types (domain bog.cpu) of the shared graph passes, with the cpu kernels'
// semantics: Rope (rotate-half rotary embedding with broadcast cos/sin tables and the slice
// bounds checked to split the last axis in halves), RmsNorm (scale per feature, one scale, or
// none), Gelu (erf, or approximate="tanh") and Silu.
#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/cpu_provider.h"
#include "onnx_runtime/providers/cuda/cuda_ops.h"

namespace bog::runtime::cuda {
namespace {

[[noreturn]] void bad(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("{} node '{}': {}", node.op_type, node.name, what));
}

// Row strides (in table rows) of a cos/sin table over x's leading axes; false when the table
// does not broadcast to x (its last dim must be x's).
bool table_strides(const Tensor& table, const Shape& x, int64_t* strides) {
  const size_t rank = x.size();
  const size_t trank = static_cast<size_t>(table.rank());
  if (trank < 1 || trank > rank || table.shape().back() != x.back()) return false;
  int64_t acc = 1;
  for (size_t i = 1; i < trank; ++i) {
    const int64_t dim = table.shape()[trank - 1 - i];
    if (dim != 1 && dim != x[rank - 1 - i]) return false;
    strides[rank - 1 - i] = dim == 1 ? 0 : acc;
    acc *= dim;
  }
  return true;
}

// Slice bound i of the Rope node, clamped to [0, d] as Slice does; false if absent or not one int.
bool slice_bound(const KernelContext& k, const OpEnv& env, size_t i, int64_t d, int64_t* v) {
  if (!k.has_input(i) || k.input(i).numel() != 1) return false;
  int64_t raw = read_ints(k, env, i)[0];
  if (raw < 0) raw += d;
  *v = std::clamp<int64_t>(raw, 0, d);
  return true;
}

void compute_rope(KernelContext& k, const OpEnv& env) {
  const Node& node = k.node();
  const Tensor& x = k.input(0);
  const Tensor& cos = k.input(1);
  const Tensor& sin = k.input(2);
  for (size_t i = 0; i < 3; ++i) require_float(k.input(i), node, i);
  if (x.rank() < 2 || x.shape().back() % 2 != 0) {
    bad(node, "expects float32 x [..., T, D] with even D and float32 tables");
  }
  require_rank(x.rank(), node);
  const int64_t d = x.shape().back();
  RopeShape r;
  r.lead_rank = static_cast<int>(x.rank() - 1);
  std::copy(x.shape().begin(), x.shape().end() - 1, r.dims);
  r.d = d;
  r.rows = d == 0 ? 0 : x.numel() / d;
  if (!table_strides(cos, x.shape(), r.cos_strides) ||
      !table_strides(sin, x.shape(), r.sin_strides)) {
    bad(node, fmt::format("tables {} / {} do not broadcast to {}", shape_to_string(cos.shape()),
                          shape_to_string(sin.shape()), shape_to_string(x.shape())));
  }
  const int64_t axis = node.attr_int("axis", -1);
  bool halves = axis == -1 || axis == x.rank() - 1;
  if (k.num_inputs() > 3) {
    int64_t s1 = 0, e1 = 0, s2 = 0, e2 = 0;
    halves = halves && slice_bound(k, env, 3, d, &s1) && slice_bound(k, env, 4, d, &e1) &&
             slice_bound(k, env, 5, d, &s2) && slice_bound(k, env, 6, d, &e2) && s1 == 0 &&
             e1 == d / 2 && s2 == d / 2 && e2 == d;
  }
  if (!halves) {
    bad(node, fmt::format("the slices do not split the last axis of {} in halves",
                          shape_to_string(x.shape())));
  }
  Tensor& y = allocate_output(k, env, 0, DType::kFloat32, x.shape());
  launch_rope_halves(x.data<float>(), cos.data<float>(), sin.data<float>(), y.data<float>(), r,
                     env.ctx->stream());
  check_launch("Rope");
}

void compute_rms_norm(KernelContext& k, const OpEnv& env) {
  const Node& node = k.node();
  const Tensor& x = k.input(0);
  require_float(x, node, 0);
  const int64_t cols = x.rank() == 0 ? 1 : x.shape().back();
  const int64_t rows = cols == 0 ? 0 : x.numel() / cols;
  const float* scale = nullptr;
  int64_t stride = 0;
  if (k.has_input(1)) {
    const Tensor& s = k.input(1);
    require_float(s, node, 1);
    if (s.numel() == 0 && cols > 0) bad(node, "scale is empty");
    scale = s.data<float>();
    stride = s.numel() == cols ? 1 : 0;  // otherwise its first value scales every feature
  }
  Tensor& y = allocate_output(k, env, 0, DType::kFloat32, x.shape());
  launch_rms_norm(x.data<float>(), scale, stride, y.data<float>(), rows, cols,
                  node.attr_float("epsilon", 1e-6f), env.ctx->stream());
  check_launch("RmsNorm");
}

void compute_activation(KernelContext& k, const OpEnv& env, UnaryOp op) {
  const Tensor& x = k.input(0);
  require_float(x, k.node(), 0);
  Tensor& y = allocate_output(k, env, 0, DType::kFloat32, x.shape());
  launch_unary(op, x.data<float>(), y.data<float>(), x.numel(), env.ctx->stream());
  check_launch(k.node().op_type.c_str());
}

}  // namespace

void register_fused_row_ops(KernelRegistry& r, const OpEnv* env) {
  const auto add = [&](const char* op, KernelFn fn) {
    r.add({op, kCpuFusedDomain, 1, 1 << 20, std::move(fn)});
  };
  add("Rope", [env](KernelContext& k) { compute_rope(k, *env); });
  add("RmsNorm", [env](KernelContext& k) { compute_rms_norm(k, *env); });
  add("Gelu", [env](KernelContext& k) {
    const bool tanh_form = k.node().attr_string("approximate", "none") == "tanh";
    compute_activation(k, *env, tanh_form ? UnaryOp::kGeluTanh : UnaryOp::kGelu);
  });
  add("Silu", [env](KernelContext& k) { compute_activation(k, *env, UnaryOp::kSilu); });
}

}  // namespace bog::runtime::cuda
