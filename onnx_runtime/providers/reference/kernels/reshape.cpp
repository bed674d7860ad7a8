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

Tensor with_shape(const Tensor& in, Shape shape) { return in.clone().view(std::move(shape)); }

void identity(KernelContext& ctx) { ctx.set_output_value(0, ctx.input_value(0).clone()); }

// Reshape: 0 copies the input dim (unless allowzero), -1 is inferred from the rest.
Shape reshape_target(const Tensor& in, const std::vector<int64_t>& spec, bool allowzero,
                     const Node& node) {
  Shape out(spec.size());
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
  return out;
}

void reshape(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const std::vector<int64_t> spec =
      ctx.opset() < 5 ? node.attr_ints("shape") : read_ints(ctx.input(1), node, "shape");
  const bool allowzero = node.attr_int("allowzero", 0) != 0;
  ctx.set_output(0, with_shape(in, reshape_target(in, spec, allowzero, node)));
}

void flatten(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  int64_t axis = ctx.node().attr_int("axis", 1);
  if (axis < -in.rank() || axis > in.rank()) {
    fail(ctx.node(), fmt::format("axis {} out of range for rank {}", axis, in.rank()));
  }
  if (axis < 0) axis += in.rank();
  int64_t outer = 1;
  int64_t inner = 1;
  for (int64_t a = 0; a < in.rank(); ++a) (a < axis ? outer : inner) *= in.dim(a);
  ctx.set_output(0, with_shape(in, {outer, inner}));
}

// Normalised, sorted, duplicate-free axes in [0, rank).
std::vector<int64_t> normalize_axes(std::vector<int64_t> axes, int64_t rank, const Node& node) {
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank) {
      fail(node, fmt::format("axis {} out of range for rank {}", a, rank));
    }
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) fail(node, "repeated axis");
  return axes;
}

void squeeze(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  std::vector<int64_t> axes;
  bool given = false;
  if (ctx.opset() < 13) {
    given = node.has_attr("axes");
    axes = node.attr_ints("axes");
  } else if (ctx.has_input(1)) {
    given = true;
    axes = read_ints(ctx.input(1), node, "axes");
  }
  Shape out;
  if (!given) {
    for (const int64_t d : in.shape()) {
      if (d != 1) out.push_back(d);
    }
  } else {
    axes = normalize_axes(axes, in.rank(), node);
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
  ctx.set_output(0, with_shape(in, std::move(out)));
}

void unsqueeze(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  std::vector<int64_t> axes =
      ctx.opset() < 13 ? node.attr_ints("axes") : read_ints(ctx.input(1), node, "axes");
  const int64_t out_rank = in.rank() + static_cast<int64_t>(axes.size());
  axes = normalize_axes(std::move(axes), out_rank, node);
  Shape out;
  size_t next = 0;
  for (int64_t a = 0; a < out_rank; ++a) {
    if (std::binary_search(axes.begin(), axes.end(), a)) {
      out.push_back(1);
    } else {
      out.push_back(in.shape()[next++]);
    }
  }
  ctx.set_output(0, with_shape(in, std::move(out)));
}

}  // namespace

void register_reshape_kernels(KernelRegistry& registry) {
  registry.add({"Identity", "", 1, 1 << 20, identity});
  registry.add({"Reshape", "", 1, 1 << 20, reshape});
  registry.add({"Flatten", "", 1, 1 << 20, flatten});
  registry.add({"Squeeze", "", 1, 1 << 20, squeeze});
  registry.add({"Unsqueeze", "", 1, 1 << 20, unsqueeze});
}

}  // namespace bog::runtime::ref
