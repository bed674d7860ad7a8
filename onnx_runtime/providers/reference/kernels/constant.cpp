// Ops that make tensors from attributes or scalars: Constant, ConstantOfShape, Range, EyeLike.
#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "common/checked_math.h"
#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

void constant(KernelContext& ctx) {
  const Node& node = ctx.node();
  int given = 0;
  for (const char* name : {"value", "value_float", "value_floats", "value_int", "value_ints",
                           "value_string", "value_strings", "sparse_value"}) {
    given += node.has_attr(name) ? 1 : 0;
  }
  if (given != 1) fail(node, fmt::format("needs exactly one value attribute, has {}", given));
  if (const Tensor* t = node.attr_tensor("value")) {
    ctx.set_output(0, t->clone());
  } else if (node.has_attr("value_float")) {
    ctx.set_output(0, Tensor::from_vector<float>({}, {node.attr_float("value_float", 0)}));
  } else if (node.has_attr("value_floats")) {
    const std::vector<float> v = node.attr_floats("value_floats");
    ctx.set_output(0, Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v));
  } else if (node.has_attr("value_int")) {
    ctx.set_output(0, Tensor::from_vector<int64_t>({}, {node.attr_int("value_int", 0)}));
  } else if (node.has_attr("value_ints")) {
    const std::vector<int64_t> v = node.attr_ints("value_ints");
    ctx.set_output(0, Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v));
  } else if (node.has_attr("value_string")) {
    ctx.set_output(0, Tensor::scalar_string(node.attr_string("value_string", "")));
  } else if (node.has_attr("value_strings")) {
    const std::vector<std::string> v = node.attr_strings("value_strings");
    Tensor t(DType::kString, {static_cast<int64_t>(v.size())});
    t.strings() = v;
    ctx.set_output(0, std::move(t));
  } else {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("Constant node '{}': sparse_value is not supported", node.name));
  }
}

void constant_of_shape(KernelContext& ctx) {
  const Node& node = ctx.node();
  SmallDims shape;
  read_ints(ctx.input(0), node, "shape", shape);
  for (const int64_t d : shape) {
    if (d < 0)
      fail(node, fmt::format("shape {} has a negative dim", shape_to_string(shape.span())));
  }
  const Tensor* value = node.attr_tensor("value");
  if (value == nullptr) {
    ctx.allocate_output(0, DType::kFloat32, shape.span());  // zeros
    return;
  }
  if (value->numel() != 1) fail(node, "value must hold exactly one element");
  const int64_t n = checked_numel(shape.span());
  if (value->dtype() == DType::kString) {
    std::vector<int64_t> map(static_cast<size_t>(n), 0);
    ctx.set_output(0, gather_by_map(*value, Shape(shape.begin(), shape.end()), map));
    return;
  }
  // The value repeated: element by element from the one-element tensor, no index map.
  Tensor& out = ctx.output_uninit(0, value->dtype(), shape.span());
  const size_t size = dtype_size(value->dtype());
  auto* dst = static_cast<std::byte*>(out.raw());
  for (int64_t i = 0; i < n; ++i)
    std::memcpy(dst + static_cast<size_t>(i) * size, value->raw(), size);
}

// Range's element count as the spec defines it, max(ceil(span / delta), 0). A count past int64
// (or NaN) has no conversion (found by the fuzz target, in every dtype): rejected.
int64_t range_count(const Node& node, double span_over_delta) {
  const double count = std::ceil(span_over_delta);
  if (std::isnan(count) || count > 9.0e18)
    fail(node, fmt::format("{} elements is too many", count));
  return count > 0 ? static_cast<int64_t>(count) : 0;
}

void range(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& start_t = ctx.input(0);
  const Tensor& limit_t = ctx.input(1);
  const Tensor& delta_t = ctx.input(2);
  if (start_t.numel() != 1 || limit_t.numel() != 1 || delta_t.numel() != 1) {
    fail(node, "start, limit and delta must be scalars");
  }
  if (limit_t.dtype() != start_t.dtype() || delta_t.dtype() != start_t.dtype()) {
    fail(node, "start, limit and delta must have one dtype");
  }
  if (start_t.dtype() == DType::kFloat16 || start_t.dtype() == DType::kBFloat16) {
    // Counted and accumulated in float32, each value rounded once into the narrow type.
    const float start = static_cast<float>(element_as_double(start_t, 0));
    const float limit = static_cast<float>(element_as_double(limit_t, 0));
    const float delta = static_cast<float>(element_as_double(delta_t, 0));
    if (delta == 0.0f) fail(node, "delta must not be 0");
    const int64_t n = range_count(node, (static_cast<double>(limit) - start) / delta);
    Tensor& out = ctx.allocate_output(0, start_t.dtype(), {n});
    float v = start;
    for (int64_t i = 0; i < n; ++i) {
      set_element_from_double(out, i, v);
      v += delta;
    }
    return;
  }
  dispatch_numeric(start_t.dtype(), node, [&](auto tag) {
    using T = decltype(tag);
    const T start = start_t.data<T>()[0];
    const T limit = limit_t.data<T>()[0];
    const T delta = delta_t.data<T>()[0];
    if (delta == T{0}) fail(node, "delta must not be 0");
    const int64_t n = range_count(node, (static_cast<double>(limit) - static_cast<double>(start)) /
                                            static_cast<double>(delta));
    Tensor& out = ctx.allocate_output(0, start_t.dtype(), {n});
    // Repeated addition, as the spec's Loop-based function definition computes it.
    T v = start;
    for (int64_t i = 0; i < n; ++i) {
      out.data<T>()[i] = v;
      v = static_cast<T>(v + delta);
    }
  });
}

void eye_like(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  if (in.rank() != 2)
    fail(node, fmt::format("input must be 2-D, got {}", shape_to_string(in.shape())));
  const DType dtype =
      node.has_attr("dtype") ? static_cast<DType>(node.attr_int("dtype", 0)) : in.dtype();
  if (!is_known_dtype(static_cast<int32_t>(dtype))) {
    fail(node, fmt::format("unknown dtype {}", static_cast<int>(dtype)));
  }
  const int64_t k = node.attr_int("k", 0);
  Tensor& out = ctx.allocate_output(0, dtype, in.shape());
  for (int64_t i = 0; i < in.dim(0); ++i) {
    const int64_t j = i + k;
    if (j >= 0 && j < in.dim(1)) set_element_from_double(out, i * in.dim(1) + j, 1.0);
  }
}

}  // namespace

void register_constant_kernels(KernelRegistry& registry) {
  registry.add({"Constant", "", 1, 1 << 20, constant});
  registry.add({"ConstantOfShape", "", 9, 1 << 20, constant_of_shape});
  registry.add({"Range", "", 11, 1 << 20, range});
  registry.add({"EyeLike", "", 9, 1 << 20, eye_like});
}

}  // namespace bog::runtime::ref
