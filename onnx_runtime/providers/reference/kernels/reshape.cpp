// Identity and the ops that only change a tensor's shape: Reshape, Flatten, Squeeze, Unsqueeze.
// The data is copied (clone) rather than aliased so an output never shares storage with an
// input the session may free or another kernel may overwrite.
#include <fmt/format.h>

#include <algorithm>

#include "common/checked_math.h"
#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

Tensor with_shape(const Tensor& in, std::span<const int64_t> shape) {
  return in.clone().view(Shape(shape.begin(), shape.end()));
}

void identity(KernelContext& ctx) { ctx.set_output_value(0, ctx.input_value(0).clone()); }

// Reshape: 0 copies the input dim (unless allowzero), -1 is inferred from the rest.
void reshape_target(const Tensor& in, std::span<const int64_t> spec, bool allowzero,
                    const Node& node, SmallDims& out) {
  out.assign(spec.size(), 0);
  int64_t infer_at = -1;
  int64_t known = 1;
  bool has_zero = false;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == -1) {
      if (infer_at >= 0) fail(node, "shape has more than one -1");
      infer_at = static_cast<int64_t>(i);
      continue;
    }
    if (d < -1) fail(node, fmt::format("shape has invalid dim {}", d));
    if (d == 0) {
      has_zero = true;
      if (!allowzero) {
        if (static_cast<int64_t>(i) >= in.rank()) {
          fail(node, fmt::format("shape dim {} is 0 but input {} has no dim {}", i,
                                 shape_to_string(in.shape()), i));
        }
        d = in.dim(static_cast<int64_t>(i));
      }
    }
    out[i] = d;
    known = checked_mul(known, d);
  }
  if (allowzero && has_zero && infer_at >= 0) fail(node, "allowzero shape has both 0 and -1");
  if (infer_at >= 0) {
    if (known == 0 || in.numel() % known != 0) {
      fail(node, fmt::format("cannot reshape {} to {}", shape_to_string(in.shape()),
                             shape_to_string(spec)));
    }
    out[static_cast<size_t>(infer_at)] = in.numel() / known;
  } else if (known != in.numel()) {
    fail(node, fmt::format("cannot reshape {} to {}", shape_to_string(in.shape()),
                           shape_to_string(spec)));
  }
}

void reshape_dims(const KernelContext& ctx, SmallDims& out) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  SmallDims spec;
  if (ctx.opset() < 5) {
    spec.assign(node.attr_ints("shape"));
  } else {
    read_ints(ctx.input(1), node, "shape", spec);
  }
  const bool allowzero = node.attr_int("allowzero", 0) != 0;
  reshape_target(in, spec.span(), allowzero, node, out);
}

void flatten_dims(const KernelContext& ctx, SmallDims& out) {
  const Tensor& in = ctx.input(0);
  int64_t axis = ctx.node().attr_int("axis", 1);
  if (axis < -in.rank() || axis > in.rank()) {
    fail(ctx.node(), fmt::format("axis {} out of range for rank {}", axis, in.rank()));
  }
  if (axis < 0) axis += in.rank();
  int64_t outer = 1;
  int64_t inner = 1;
  for (int64_t a = 0; a < in.rank(); ++a) (a < axis ? outer : inner) *= in.dim(a);
  out.assign(2, outer);
  out[1] = inner;
}

// Normalised, sorted, duplicate-free axes in [0, rank), in place.
void normalize_axes(SmallDims& axes, int64_t rank, const Node& node) {
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank) {
      fail(node, fmt::format("axis {} out of range for rank {}", a, rank));
    }
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) fail(node, "repeated axis");
}

// The axes of Squeeze/Unsqueeze (attribute before opset 13, input from 13); false when none.
bool read_axes(const KernelContext& ctx, SmallDims& axes) {
  const Node& node = ctx.node();
  if (ctx.opset() < 13) {
    axes.assign(node.attr_ints("axes"));
    return node.has_attr("axes");
  }
  if (!ctx.has_input(1)) return false;
  read_ints(ctx.input(1), node, "axes", axes);
  return true;
}

void squeeze_dims(const KernelContext& ctx, SmallDims& out) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  SmallDims axes;
  const bool given = read_axes(ctx, axes);
  out.clear();
  if (!given) {
    for (const int64_t d : in.shape()) {
      if (d != 1) out.push_back(d);
    }
    return;
  }
  normalize_axes(axes, in.rank(), node);
  for (int64_t a = 0; a < in.rank(); ++a) {
    if (std::binary_search(axes.begin(), axes.end(), a)) {
      if (in.dim(a) != 1) {
        fail(node, fmt::format("cannot squeeze axis {} of size {}", a, in.dim(a)));
      }
      continue;
    }
    out.push_back(in.dim(a));
  }
}

void unsqueeze_dims(const KernelContext& ctx, SmallDims& out) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  SmallDims axes;
  (void)read_axes(ctx, axes);
  const int64_t out_rank = in.rank() + static_cast<int64_t>(axes.size());
  normalize_axes(axes, out_rank, node);
  out.clear();
  size_t next = 0;
  for (int64_t a = 0; a < out_rank; ++a) {
    if (std::binary_search(axes.begin(), axes.end(), a)) {
      out.push_back(1);
    } else {
      out.push_back(in.shape()[next++]);
    }
  }
}

// A kernel that copies input 0 into the shape `dims` computes.
template <void (*Dims)(const KernelContext&, SmallDims&)>
void copy_with_dims(KernelContext& ctx) {
  SmallDims out;
  Dims(ctx, out);
  ctx.set_output(0, with_shape(ctx.input(0), out.span()));
}

}  // namespace

bool view_dims(const KernelContext& ctx, SmallDims& out) {
  const Node& node = ctx.node();
  if (!node.domain.empty()) return false;
  if (node.op_type == "Identity") {
    out.assign(ctx.input(0).shape());
  } else if (node.op_type == "Reshape") {
    reshape_dims(ctx, out);
  } else if (node.op_type == "Flatten") {
    flatten_dims(ctx, out);
  } else if (node.op_type == "Squeeze") {
    squeeze_dims(ctx, out);
  } else if (node.op_type == "Unsqueeze") {
    unsqueeze_dims(ctx, out);
  } else {
    return false;
  }
  return true;
}

void register_reshape_kernels(KernelRegistry& registry) {
  registry.add({"Identity", "", 1, 1 << 20, identity});
  registry.add({"Reshape", "", 1, 1 << 20, copy_with_dims<reshape_dims>});
  registry.add({"Flatten", "", 1, 1 << 20, copy_with_dims<flatten_dims>});
  registry.add({"Squeeze", "", 1, 1 << 20, copy_with_dims<squeeze_dims>});
  registry.add({"Unsqueeze", "", 1, 1 << 20, copy_with_dims<unsqueeze_dims>});
}

}  // namespace bog::runtime::ref
