// ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare. Axes come from the `axes`
// attribute before opset 18 (13 for ReduceSum) and from an optional input after; an empty axes
// list reduces everything unless noop_with_empty_axes=1. Floats accumulate in double, integers
// in int64 (wrapping like the element type would).
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <string>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/existing_axis.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

enum class ReduceOp { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

// The axes form changed from attribute to input at this opset.
int axes_input_since(ReduceOp op) { return op == ReduceOp::kSum ? 13 : 18; }

// Reduces doubles. An empty set gives the op's identity: 0 for sums, 1 for Prod, -inf/+inf for
// Max/Min, log(0) = -inf for LogSum(Exp) and 0/0 = NaN for Mean, as numpy does.
double reduce_real(ReduceOp op, const std::vector<double>& x) {
  const double n = static_cast<double>(x.size());
  switch (op) {
    case ReduceOp::kSum: {
      double s = 0;
      for (const double v : x) s += v;
      return s;
    }
    case ReduceOp::kMean: {
      double s = 0;
      for (const double v : x) s += v;
      return s / n;
    }
    case ReduceOp::kMax: {
      double m = -std::numeric_limits<double>::infinity();
      for (const double v : x) m = (std::isnan(v) || v > m) ? v : m;
      return m;
    }
    case ReduceOp::kMin: {
      double m = std::numeric_limits<double>::infinity();
      for (const double v : x) m = (std::isnan(v) || v < m) ? v : m;
      return m;
    }
    case ReduceOp::kProd: {
      double p = 1;
      for (const double v : x) p *= v;
      return p;
    }
    case ReduceOp::kL1: {
      double s = 0;
      for (const double v : x) s += std::fabs(v);
      return s;
    }
    case ReduceOp::kL2: {
      double s = 0;
      for (const double v : x) s += v * v;
      return std::sqrt(s);
    }
    case ReduceOp::kLogSum: {
      double s = 0;
      for (const double v : x) s += v;
      return std::log(s);
    }
    case ReduceOp::kLogSumExp: {
      // Subtract the max before exp so large inputs do not overflow.
      double m = -std::numeric_limits<double>::infinity();
      for (const double v : x) m = std::max(m, v);
      if (std::isinf(m)) return m;
      double s = 0;
      for (const double v : x) s += std::exp(v - m);
      return m + std::log(s);
    }
    case ReduceOp::kSumSquare: {
      double s = 0;
      for (const double v : x) s += v * v;
      return s;
    }
  }
  return 0;
}

int64_t int_lowest(DType dtype) {
  switch (dtype) {
    case DType::kBool:
      return 0;
    case DType::kInt8:
      return std::numeric_limits<int8_t>::lowest();
    case DType::kInt16:
      return std::numeric_limits<int16_t>::lowest();
    case DType::kInt32:
      return std::numeric_limits<int32_t>::lowest();
    case DType::kUint8:
    case DType::kUint16:
    case DType::kUint32:
    case DType::kUint64:
      return 0;
    default:
      return std::numeric_limits<int64_t>::lowest();
  }
}

int64_t int_highest(DType dtype) {
  switch (dtype) {
    case DType::kBool:
      return 1;
    case DType::kInt8:
      return std::numeric_limits<int8_t>::max();
    case DType::kUint8:
      return std::numeric_limits<uint8_t>::max();
    case DType::kInt16:
      return std::numeric_limits<int16_t>::max();
    case DType::kUint16:
      return std::numeric_limits<uint16_t>::max();
    case DType::kInt32:
      return std::numeric_limits<int32_t>::max();
    case DType::kUint32:
      return std::numeric_limits<uint32_t>::max();
    default:
      return std::numeric_limits<int64_t>::max();
  }
}

// Reduces integers exactly where the result is an integer; Mean/L2/LogSum/LogSumExp go through
// double and truncate, as numpy's float result cast back to the integer type does.
int64_t reduce_int(ReduceOp op, const std::vector<int64_t>& x, DType dtype) {
  // Sums and products wrap modulo 2^64 (unsigned arithmetic: no signed-overflow UB).
  uint64_t acc = 0;
  switch (op) {
    case ReduceOp::kSum:
      for (const int64_t v : x) acc += static_cast<uint64_t>(v);
      return static_cast<int64_t>(acc);
    case ReduceOp::kSumSquare:
      for (const int64_t v : x) acc += static_cast<uint64_t>(v) * static_cast<uint64_t>(v);
      return static_cast<int64_t>(acc);
    case ReduceOp::kL1:
      for (const int64_t v : x) acc += static_cast<uint64_t>(v < 0 ? -v : v);
      return static_cast<int64_t>(acc);
    case ReduceOp::kProd:
      acc = 1;
      for (const int64_t v : x) acc *= static_cast<uint64_t>(v);
      return static_cast<int64_t>(acc);
    case ReduceOp::kMax: {
      int64_t m = int_lowest(dtype);
      for (const int64_t v : x) m = std::max(m, v);
      return m;
    }
    case ReduceOp::kMin: {
      int64_t m = int_highest(dtype);
      for (const int64_t v : x) m = std::min(m, v);
      return m;
    }
    default: {
      std::vector<double> d(x.begin(), x.end());
      const double r = reduce_real(op, d);
      return std::isfinite(r) ? static_cast<int64_t>(r) : 0;
    }
  }
}

std::vector<int64_t> reduce_axes(const KernelContext& ctx, ReduceOp op) {
  const Node& node = ctx.node();
  if (ctx.opset() >= axes_input_since(op)) {
    if (!ctx.has_input(1)) return {};
    return read_int_list(ctx.input(1), node);
  }
  return node.attr_ints("axes");
}

void compute_reduce(KernelContext& ctx, ReduceOp op) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const bool keepdims = node.attr_int("keepdims", 1) != 0;
  const bool noop =
      ctx.opset() >= axes_input_since(op) && node.attr_int("noop_with_empty_axes", 0) != 0;
  const std::vector<int64_t> axes = reduce_axes(ctx, op);
  if (axes.empty() && noop) {
    ctx.set_output(0, x.clone());
    return;
  }
  const int64_t rank = x.rank();
  std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty());
  for (const int64_t a : axes) {
    const int64_t axis = normalize_existing_axis(a, rank, node);
    if (reduced[static_cast<size_t>(axis)]) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("{} node '{}': axis {} listed twice", node.op_type, node.name, a));
    }
    reduced[static_cast<size_t>(axis)] = true;
  }
  const ReductionPlan plan = plan_reduction(x.shape(), reduced, keepdims);
  Tensor& y = ctx.allocate_output(0, x.dtype(), plan.out_shape);
  if (is_real_dtype(x.dtype())) {
    const std::vector<double> in = to_doubles(x);
    std::vector<double> out(plan.bases.size());
    std::vector<double> group(plan.offsets.size());
    for (size_t o = 0; o < plan.bases.size(); ++o) {
      for (size_t r = 0; r < plan.offsets.size(); ++r) {
        group[r] = in[static_cast<size_t>(plan.bases[o] + plan.offsets[r])];
      }
      out[o] = reduce_real(op, group);
    }
    store_doubles(out, y);
    return;
  }
  if (!is_integer_type(x.dtype()) && x.dtype() != DType::kBool) unsupported_dtype(node, x.dtype());
  if (x.dtype() == DType::kBool && op != ReduceOp::kMax && op != ReduceOp::kMin) {
    unsupported_dtype(node, x.dtype());
  }
  const std::vector<int64_t> in = to_int64s(x);
  std::vector<int64_t> out(plan.bases.size());
  std::vector<int64_t> group(plan.offsets.size());
  for (size_t o = 0; o < plan.bases.size(); ++o) {
    for (size_t r = 0; r < plan.offsets.size(); ++r) {
      group[r] = in[static_cast<size_t>(plan.bases[o] + plan.offsets[r])];
    }
    out[o] = reduce_int(op, group, x.dtype());
  }
  store_int64s(out, y);
}

}  // namespace

void register_reduce_kernels(KernelRegistry& registry) {
  const std::pair<const char*, ReduceOp> ops[] = {{"ReduceSum", ReduceOp::kSum},
                                                  {"ReduceMean", ReduceOp::kMean},
                                                  {"ReduceMax", ReduceOp::kMax},
                                                  {"ReduceMin", ReduceOp::kMin},
                                                  {"ReduceProd", ReduceOp::kProd},
                                                  {"ReduceL1", ReduceOp::kL1},
                                                  {"ReduceL2", ReduceOp::kL2},
                                                  {"ReduceLogSum", ReduceOp::kLogSum},
                                                  {"ReduceLogSumExp", ReduceOp::kLogSumExp},
                                                  {"ReduceSumSquare", ReduceOp::kSumSquare}};
  for (const auto& [name, op] : ops) {
    const int split = axes_input_since(op);
    const KernelFn fn = [op = op](KernelContext& ctx) { compute_reduce(ctx, op); };
    registry.add({name, "", 1, split - 1, fn});
    registry.add({name, "", split, 1 << 20, fn});
  }
}

}  // namespace bog::runtime::ref
