#include "onnx_runtime/providers/reference/kernels/elementwise_util.h"

namespace bog::runtime::ref {

Shape legacy_broadcast_shape(const KernelContext& ctx, const Shape& a, const Shape& b) {
  SmallDims buf;
  const std::span<const int64_t> dims = legacy_broadcast_dims(ctx, a, b, buf);
  return Shape(dims.begin(), dims.end());
}

std::span<const int64_t> legacy_broadcast_dims(const KernelContext& ctx, const Shape& a,
                                               const Shape& b, SmallDims& buf) {
  const Node& node = ctx.node();
  if (ctx.opset() >= 7 || node.attr_int("broadcast", 0) == 0) {
    if (ctx.opset() < 7 && a != b && node.has_attr("broadcast")) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("{} node '{}': shapes {} and {} differ and broadcast=0", node.op_type,
                              node.name, shape_to_string(a), shape_to_string(b)));
    }
    return b;
  }
  const auto rank_a = static_cast<int64_t>(a.size());
  const auto rank_b = static_cast<int64_t>(b.size());
  int64_t axis = node.attr_int("axis", rank_a - rank_b);
  if (axis < 0) axis += rank_a;
  if (axis < 0 || axis + rank_b > rank_a) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': cannot broadcast {} into {} at axis {}", node.op_type,
                            node.name, shape_to_string(b), shape_to_string(a), axis));
  }
  buf.assign(static_cast<size_t>(rank_a), 1);
  for (int64_t i = 0; i < rank_b; ++i)
    buf[static_cast<size_t>(axis + i)] = b[static_cast<size_t>(i)];
  return buf.span();
}

void require_same_dtype(const KernelContext& ctx, size_t i, size_t j) {
  const DType a = ctx.input(i).dtype();
  const DType b = ctx.input(j).dtype();
  if (a != b) {
    throw Error(
        ErrorCategory::kInvalidModel,
        fmt::format("{} node '{}': inputs {} and {} must share a dtype ({} vs {})",
                    ctx.node().op_type, ctx.node().name, i, j, dtype_name(a), dtype_name(b)));
  }
}

void add_kernel(KernelRegistry& registry, const char* op_type, int since, KernelFn fn) {
  KernelDef def;
  def.op_type = op_type;
  def.since_version = since;
  def.compute = std::move(fn);
  registry.add(std::move(def));
}

}  // namespace bog::runtime::ref
