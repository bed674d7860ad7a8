// MatMulInteger (10+): int32 (a - a_zero_point) @ (b - b_zero_point), and QLinearMatMul (10+):
// the same product requantized, y = saturate(round(acc * a_scale * b_scale / y_scale) + y_zp).
// Numpy matmul shapes: batch dims broadcast, 1-D operands are promoted and the added dim
// dropped. Zero points and scales are per tensor, per row of a ([M]) or per column of b ([N]).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/advanced_ops.h"
#include "onnx_runtime/providers/reference/kernels/float_io.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::ref {
namespace {

[[noreturn]] void bad(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("{} node '{}': {}", node.op_type, node.name, what));
}

bool is_8bit(DType d) { return d == DType::kInt8 || d == DType::kUint8; }

int64_t int_at(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kInt8 ? t.data<int8_t>()[i] : t.data<uint8_t>()[i];
}

// A per-tensor or per-row/column parameter (zero point or scale) as doubles; `along` is the
// length a 1-D parameter must have (M for a, N for b).
std::vector<double> param(const KernelContext& ctx, size_t input, int64_t along, const char* what) {
  const Node& node = ctx.node();
  if (!ctx.has_input(input)) return {0.0};
  const Tensor& t = ctx.input(input);
  if (t.numel() != 1 && !(t.rank() == 1 && t.dim(0) == along)) {
    bad(node, fmt::format("{} must have one element or [{}], got {}", what, along,
                          shape_to_string(t.shape())));
  }
  return read_numeric_as_doubles(t, node);
}

struct MatmulShape {
  Shape out;    // final output shape (1-D operands' dims dropped)
  Shape batch;  // broadcast batch dims
  int64_t m = 1, k = 1, n = 1;
  std::vector<int64_t> a_batch_map, b_batch_map;  // batch index -> operand batch index
};

MatmulShape matmul_shape(const Tensor& a, const Tensor& b, const Node& node) {
  if (a.rank() == 0 || b.rank() == 0) bad(node, "operands must have rank >= 1");
  Shape as = a.shape(), bs = b.shape();
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  MatmulShape s;
  s.m = as[as.size() - 2];
  s.k = as.back();
  s.n = bs.back();
  if (bs[bs.size() - 2] != s.k) {
    bad(node, fmt::format("inner dims differ: {} vs {}", shape_to_string(a.shape()),
                          shape_to_string(b.shape())));
  }
  const Shape a_batch(as.begin(), as.end() - 2), b_batch(bs.begin(), bs.end() - 2);
  s.batch = broadcast_shapes({&a_batch, &b_batch}, node);
  s.a_batch_map = broadcast_index_map(a_batch, s.batch);
  s.b_batch_map = broadcast_index_map(b_batch, s.batch);
  s.out = s.batch;
  if (a.rank() > 1) s.out.push_back(s.m);
  if (b.rank() > 1) s.out.push_back(s.n);
  return s;
}

// acc[batch, m, n] = sum_k (a - a_zp[m]) * (b - b_zp[n]), exact in int64.
std::vector<int64_t> integer_product(const Tensor& a, const Tensor& b,
                                     const std::vector<double>& a_zp,
                                     const std::vector<double>& b_zp, const MatmulShape& s) {
  std::vector<int64_t> acc(s.a_batch_map.size() * static_cast<size_t>(s.m * s.n), 0);
  for (size_t bi = 0; bi < s.a_batch_map.size(); ++bi) {
    const int64_t a_off = s.a_batch_map[bi] * s.m * s.k;
    const int64_t b_off = s.b_batch_map[bi] * s.k * s.n;
    for (int64_t i = 0; i < s.m; ++i) {
      const int64_t za = static_cast<int64_t>(a_zp.size() == 1 ? a_zp[0] : a_zp[i]);
      for (int64_t j = 0; j < s.n; ++j) {
        const int64_t zb = static_cast<int64_t>(b_zp.size() == 1 ? b_zp[0] : b_zp[j]);
        int64_t sum = 0;
        for (int64_t x = 0; x < s.k; ++x) {
          sum += (int_at(a, a_off + i * s.k + x) - za) * (int_at(b, b_off + x * s.n + j) - zb);
        }
        acc[bi * static_cast<size_t>(s.m * s.n) + static_cast<size_t>(i * s.n + j)] = sum;
      }
    }
  }
  return acc;
}

void matmul_integer(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (!is_8bit(a.dtype())) unsupported_dtype(node, a.dtype());
  if (!is_8bit(b.dtype())) unsupported_dtype(node, b.dtype());
  const MatmulShape s = matmul_shape(a, b, node);
  const std::vector<int64_t> acc = integer_product(a, b, param(ctx, 2, s.m, "a_zero_point"),
                                                   param(ctx, 3, s.n, "b_zero_point"), s);
  Tensor& y = ctx.allocate_output(0, DType::kInt32, s.out);
  for (size_t i = 0; i < acc.size(); ++i) y.data<int32_t>()[i] = static_cast<int32_t>(acc[i]);
}

void qlinear_matmul(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(3);
  if (!is_8bit(a.dtype())) unsupported_dtype(node, a.dtype());
  if (!is_8bit(b.dtype())) unsupported_dtype(node, b.dtype());
  const DType out_dtype = ctx.has_input(7) ? ctx.input(7).dtype() : a.dtype();
  if (!is_8bit(out_dtype)) unsupported_dtype(node, out_dtype);
  const MatmulShape s = matmul_shape(a, b, node);
  const std::vector<double> a_scale = param(ctx, 1, s.m, "a_scale");
  const std::vector<double> b_scale = param(ctx, 4, s.n, "b_scale");
  const std::vector<double> y_scale = param(ctx, 6, 1, "y_scale");
  const std::vector<double> y_zp = param(ctx, 7, 1, "y_zero_point");
  // A NaN from a zero or non-finite scale would reach the int8 cast (undefined behaviour; found by
  // the fuzz target): scales must be finite and y_scale non-zero.
  for (const auto* scales : {&a_scale, &b_scale, &y_scale}) {
    for (const double v : *scales) {
      if (!std::isfinite(v)) bad(node, fmt::format("scale {} is not finite", v));
    }
  }
  if (y_scale[0] == 0.0) bad(node, "y_scale is 0");
  const std::vector<int64_t> acc = integer_product(a, b, param(ctx, 2, s.m, "a_zero_point"),
                                                   param(ctx, 5, s.n, "b_zero_point"), s);
  const double lo = out_dtype == DType::kInt8 ? -128 : 0;
  const double hi = out_dtype == DType::kInt8 ? 127 : 255;
  Tensor& y = ctx.allocate_output(0, out_dtype, s.out);
  for (size_t idx = 0; idx < acc.size(); ++idx) {
    const int64_t i = static_cast<int64_t>(idx) / s.n % s.m, j = static_cast<int64_t>(idx) % s.n;
    const double sa = a_scale.size() == 1 ? a_scale[0] : a_scale[static_cast<size_t>(i)];
    const double sb = b_scale.size() == 1 ? b_scale[0] : b_scale[static_cast<size_t>(j)];
    const double v = std::nearbyint(static_cast<double>(acc[idx]) * sa * sb / y_scale[0]) + y_zp[0];
    const double c = std::clamp(v, lo, hi);
    if (out_dtype == DType::kInt8) {
      y.data<int8_t>()[idx] = static_cast<int8_t>(c);
    } else {
      y.data<uint8_t>()[idx] = static_cast<uint8_t>(c);
    }
  }
}

}  // namespace

void register_qlinear_matmul(KernelRegistry& registry) {
  registry.add({"MatMulInteger", "", 10, 1 << 20, matmul_integer});
  registry.add({"QLinearMatMul", "", 10, 1 << 20, qlinear_matmul});
}

}  // namespace bog::runtime::ref
