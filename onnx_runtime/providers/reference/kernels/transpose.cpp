// Transpose and the two block rearrangements defined through it, DepthToSpace and SpaceToDepth
// (each is reshape -> transpose -> reshape, exactly as the ONNX spec writes them).
#include <fmt/format.h>

#include <numeric>

#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

void transpose(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const size_t rank = static_cast<size_t>(in.rank());
  std::vector<int64_t> perm(rank);
  if (node.has_attr("perm")) {
    perm = node.attr_ints("perm");
    if (perm.size() != rank) {
      fail(node, fmt::format("perm has {} entries for rank {}", perm.size(), rank));
    }
    std::vector<bool> seen(rank, false);
    for (int64_t& p : perm) {
      if (p < -static_cast<int64_t>(rank) || p >= static_cast<int64_t>(rank)) {
        fail(node, fmt::format("perm entry {} out of range for rank {}", p, rank));
      }
      if (p < 0) p += static_cast<int64_t>(rank);
      if (seen[static_cast<size_t>(p)]) fail(node, "perm repeats an axis");
      seen[static_cast<size_t>(p)] = true;
    }
  } else {
    // Default: reverse the axes.
    for (size_t k = 0; k < rank; ++k) perm[k] = static_cast<int64_t>(rank - 1 - k);
  }
  ctx.set_output(0, permute(in, perm));
}

int64_t block_size(const Node& node) {
  const int64_t b = node.attr_int("blocksize", 0);
  if (b <= 0) fail(node, fmt::format("blocksize must be positive, got {}", b));
  return b;
}

void depth_to_space(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const int64_t b = block_size(node);
  if (in.rank() != 4)
    fail(node, fmt::format("input must be 4-D, got {}", shape_to_string(in.shape())));
  const int64_t n = in.dim(0), c = in.dim(1), h = in.dim(2), w = in.dim(3);
  if (c % (b * b) != 0) {
    fail(node, fmt::format("channels {} not divisible by blocksize^2 = {}", c, b * b));
  }
  const std::string mode = node.attr_string("mode", "DCR");
  Tensor out;
  if (mode == "DCR") {
    out = permute(in.view({n, b, b, c / (b * b), h, w}), {0, 3, 4, 1, 5, 2});
  } else if (mode == "CRD") {
    out = permute(in.view({n, c / (b * b), b, b, h, w}), {0, 1, 4, 2, 5, 3});
  } else {
    fail(node, fmt::format("unknown mode '{}'", mode));
  }
  ctx.set_output(0, out.view({n, c / (b * b), h * b, w * b}));
}

void space_to_depth(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const int64_t b = block_size(node);
  if (in.rank() != 4)
    fail(node, fmt::format("input must be 4-D, got {}", shape_to_string(in.shape())));
  const int64_t n = in.dim(0), c = in.dim(1), h = in.dim(2), w = in.dim(3);
  if (h % b != 0 || w % b != 0) {
    fail(node, fmt::format("spatial dims {}x{} not divisible by blocksize {}", h, w, b));
  }
  Tensor out = permute(in.view({n, c, h / b, b, w / b, b}), {0, 3, 5, 1, 2, 4});
  ctx.set_output(0, out.view({n, c * b * b, h / b, w / b}));
}

}  // namespace

void register_transpose_kernels(KernelRegistry& registry) {
  registry.add({"Transpose", "", 1, 1 << 20, transpose});
  registry.add({"DepthToSpace", "", 1, 1 << 20, depth_to_space});
  registry.add({"SpaceToDepth", "", 1, 1 << 20, space_to_depth});
}

}  // namespace bog::runtime::ref
