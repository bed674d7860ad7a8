// Gemm: Y = alpha * A' * B' + beta * C, A' / B' optionally transposed, C broadcast
// unidirectionally to [M, N] (optional from opset 11). Accumulates in double.
#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

void compute_gemm(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (!is_real_dtype(a.dtype()) && !is_integer_type(a.dtype())) unsupported_dtype(node, a.dtype());
  if (a.rank() != 2 || b.rank() != 2) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("Gemm node '{}': A and B must be 2-D, got {} and {}", node.name,
                            shape_to_string(a.shape()), shape_to_string(b.shape())));
  }
  const bool trans_a = node.attr_int("transA", 0) != 0;
  const bool trans_b = node.attr_int("transB", 0) != 0;
  const double alpha = node.attr_float("alpha", 1.0f);
  const double beta = node.attr_float("beta", 1.0f);
  const int64_t m = trans_a ? a.dim(1) : a.dim(0);
  const int64_t k = trans_a ? a.dim(0) : a.dim(1);
  const int64_t n = trans_b ? b.dim(0) : b.dim(1);
  if ((trans_b ? b.dim(1) : b.dim(0)) != k) {
    throw Error(
        ErrorCategory::kInvalidModel,
        fmt::format("Gemm node '{}': inner dims differ: A{} B{} transA={} transB={}", node.name,
                    shape_to_string(a.shape()), shape_to_string(b.shape()), trans_a, trans_b));
  }
  const Shape out_shape{m, n};
  std::vector<double> c(static_cast<size_t>(m * n), 0.0);
  if (ctx.has_input(2)) {
    const Tensor& ct = ctx.input(2);
    if (broadcast_shapes({&ct.shape(), &out_shape}, node) != out_shape) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("Gemm node '{}': C{} does not broadcast to [{}, {}]", node.name,
                              shape_to_string(ct.shape()), m, n));
    }
    const std::vector<double> cv = to_doubles(ct);
    const std::vector<int64_t> map = broadcast_index_map(ct.shape(), out_shape);
    for (size_t i = 0; i < c.size(); ++i) c[i] = cv[static_cast<size_t>(map[i])];
  }
  const std::vector<double> av = to_doubles(a), bv = to_doubles(b);
  const auto at = [&](int64_t i, int64_t t) {
    return av[static_cast<size_t>(trans_a ? t * m + i : i * k + t)];
  };
  const auto bt = [&](int64_t t, int64_t j) {
    return bv[static_cast<size_t>(trans_b ? j * k + t : t * n + j)];
  };
  std::vector<double> y(c.size());
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t t = 0; t < k; ++t) s += at(i, t) * bt(t, j);
      y[static_cast<size_t>(i * n + j)] = alpha * s + beta * c[static_cast<size_t>(i * n + j)];
    }
  }
  store_doubles(y, ctx.allocate_output(0, a.dtype(), out_shape));
}

}  // namespace

void register_gemm_kernels(KernelRegistry& registry) {
  // Before 7 a `broadcast` attribute gated C's broadcasting; valid models broadcast either way.
  registry.add({"Gemm", "", 1, 10, compute_gemm});
  registry.add({"Gemm", "", 11, 1 << 20, compute_gemm});  // C optional
}

}  // namespace bog::runtime::ref
