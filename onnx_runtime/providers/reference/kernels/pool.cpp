// AveragePool, MaxPool and LpPool over N-D windows (kernel_shape, strides, pads or auto_pad,
// dilations, ceil_mode), and their Global* forms over all spatial dims. Padding never wins a
// max and adds nothing to a sum; AveragePool divides by the taps inside the input, or with
// count_include_pad=1 by the taps inside the padded input. MaxPool's optional Indices output
// holds flat input offsets, row-major (storage_order 0) or with column-major spatial dims (1).
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

enum class PoolOp { kAverage, kMax, kLp };

void require_pool_dtype(const Tensor& x, const Node& node, PoolOp op) {
  const bool int8 = x.dtype() == DType::kInt8 || x.dtype() == DType::kUint8;
  if (!is_real_dtype(x.dtype()) && !(op == PoolOp::kMax && int8))
    unsupported_dtype(node, x.dtype());
  if (x.rank() < 3) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': X must be [N, C, D1, ...], got {}", node.op_type,
                            node.name, shape_to_string(x.shape())));
  }
}

double lp_order(const KernelContext& ctx) {
  // LpPool-1 declared p as a float attribute; later versions as an int.
  const Node& node = ctx.node();
  const Attribute* a = node.attr("p");
  if (a != nullptr && a->type == Attribute::Type::kFloat) return a->f;
  return static_cast<double>(node.attr_int("p", 2));
}

void compute_pool(KernelContext& ctx, PoolOp op) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  require_pool_dtype(x, node, op);
  const size_t rank = static_cast<size_t>(x.rank()) - 2;
  const Shape in(x.shape().begin() + 2, x.shape().end());
  const Shape kernel = node.attr_ints("kernel_shape");
  const bool ceil_mode = node.attr_int("ceil_mode", 0) != 0;
  const WindowGeometry g = window_geometry(node, in, kernel, ceil_mode);
  const bool count_pad = node.attr_int("count_include_pad", 0) != 0;
  const bool column_major = node.attr_int("storage_order", 0) != 0;
  const double p = op == PoolOp::kLp ? lp_order(ctx) : 0.0;
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t in_size = dims_product(in, 0, rank);
  const int64_t out_size = dims_product(g.out, 0, rank);
  const std::vector<int64_t> row_strides = strides_of(in);
  std::vector<int64_t> col_strides(rank, 1);
  for (size_t d = 1; d < rank; ++d) col_strides[d] = col_strides[d - 1] * in[d - 1];
  const std::vector<double> xv = to_doubles(x);
  std::vector<double> y(static_cast<size_t>(planes * out_size));
  std::vector<int64_t> indices(y.size(), 0);
  if (out_size > 0) {
    for (int64_t plane = 0; plane < planes; ++plane) {
      std::vector<int64_t> o(rank, 0);
      int64_t o_flat = 0;
      do {
        double acc = op == PoolOp::kMax ? -std::numeric_limits<double>::infinity() : 0.0;
        int64_t best = -1, inside = 0, padded = 0;
        std::vector<int64_t> k(rank, 0);
        do {
          bool in_input = true, in_padded = true;
          int64_t off = 0, col_off = 0;
          for (size_t d = 0; d < rank; ++d) {
            const int64_t pos = o[d] * g.strides[d] - g.pads_begin[d] + k[d] * g.dilations[d];
            if (pos < 0 || pos >= in[d]) in_input = false;
            if (pos < -g.pads_begin[d] || pos >= in[d] + g.pads_end[d]) in_padded = false;
            off += pos * row_strides[d];
            col_off += pos * col_strides[d];
          }
          padded += in_padded ? 1 : 0;
          if (!in_input) continue;
          ++inside;
          const double v = xv[static_cast<size_t>(plane * in_size + off)];
          if (op == PoolOp::kMax) {
            if (v > acc || best < 0) {
              acc = v;
              best = plane * in_size + (column_major ? col_off : off);
            }
          } else if (op == PoolOp::kAverage) {
            acc += v;
          } else {
            acc += std::pow(std::fabs(v), p);
          }
        } while (next_index(k, g.kernel));
        const size_t at = static_cast<size_t>(plane * out_size + o_flat);
        if (op == PoolOp::kAverage) acc /= static_cast<double>(count_pad ? padded : inside);
        if (op == PoolOp::kLp) acc = std::pow(acc, 1.0 / p);
        y[at] = acc;
        indices[at] = std::max<int64_t>(best, 0);
        ++o_flat;
      } while (next_index(o, g.out));
    }
  }
  Shape out_shape{x.dim(0), x.dim(1)};
  out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());
  store_doubles(y, ctx.allocate_output(0, x.dtype(), out_shape));
  if (op == PoolOp::kMax && ctx.has_output(1)) {
    store_int64s(indices, ctx.allocate_output(1, DType::kInt64, out_shape));
  }
}

void compute_global_pool(KernelContext& ctx, PoolOp op) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  require_pool_dtype(x, node, op);
  const double p = op == PoolOp::kLp ? lp_order(ctx) : 0.0;
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t size = dims_product(x.shape(), 2, x.shape().size());
  const std::vector<double> xv = to_doubles(x);
  std::vector<double> y(static_cast<size_t>(planes));
  for (int64_t plane = 0; plane < planes; ++plane) {
    double acc = op == PoolOp::kMax ? -std::numeric_limits<double>::infinity() : 0.0;
    for (int64_t i = 0; i < size; ++i) {
      const double v = xv[static_cast<size_t>(plane * size + i)];
      if (op == PoolOp::kMax) acc = std::max(acc, v);
      if (op == PoolOp::kAverage) acc += v;
      if (op == PoolOp::kLp) acc += std::pow(std::fabs(v), p);
    }
    if (op == PoolOp::kAverage) acc /= static_cast<double>(size);
    if (op == PoolOp::kLp) acc = std::pow(acc, 1.0 / p);
    y[static_cast<size_t>(plane)] = acc;
  }
  Shape out_shape(x.shape().size(), 1);
  out_shape[0] = x.dim(0);
  out_shape[1] = x.dim(1);
  store_doubles(y, ctx.allocate_output(0, x.dtype(), out_shape));
}

}  // namespace

void register_pool_kernels(KernelRegistry& registry) {
  const std::pair<const char*, PoolOp> ops[] = {
      {"AveragePool", PoolOp::kAverage}, {"MaxPool", PoolOp::kMax}, {"LpPool", PoolOp::kLp}};
  for (const auto& [name, op] : ops) {
    // Later versions only add attributes (count_include_pad, ceil_mode, dilations,
    // storage_order) whose absence means the earlier behaviour.
    registry.add({name, "", 1, 1 << 20, [op = op](KernelContext& ctx) { compute_pool(ctx, op); }});
    registry.add({std::string("Global") + name, "", 1, 1 << 20,
                  [op = op](KernelContext& ctx) { compute_global_pool(ctx, op); }});
  }
}

}  // namespace bog::runtime::ref
