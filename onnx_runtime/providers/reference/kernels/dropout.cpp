// Dropout. Inference (the usual case) is the identity with an all-true mask. Training
// (training_mode input from opset 12; is_test=0 before opset 7) zeroes each element with
// probability `ratio` and scales the rest by 1 / (1 - ratio); ratio 0 keeps everything. The
// draw uses a std::mt19937 seeded from the `seed` attribute (0 when absent), so runs repeat.
#include <fmt/format.h>

#include <random>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

void compute_dropout(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  require_real(x, node);
  double ratio = node.attr_float("ratio", 0.5f);
  bool training = false;
  if (ctx.opset() >= 12) {
    if (ctx.has_input(1)) ratio = to_doubles(ctx.input(1)).at(0);
    if (ctx.has_input(2)) training = to_doubles(ctx.input(2)).at(0) != 0;
  } else if (ctx.opset() < 7) {
    training = node.attr_int("is_test", 0) == 0;
  }
  if (ratio < 0 || ratio >= 1) {
    if (training) {
      throw Error(
          ErrorCategory::kInvalidArgument,
          fmt::format("Dropout node '{}': ratio must be in [0, 1), got {}", node.name, ratio));
    }
  }
  std::vector<double> y = to_doubles(x);
  std::vector<double> keep(y.size(), 1.0);
  if (training && ratio > 0) {
    std::mt19937 rng(static_cast<uint32_t>(node.attr_int("seed", 0)));
    std::uniform_real_distribution<double> dist(0.0, 1.0);
    for (size_t i = 0; i < y.size(); ++i) {
      keep[i] = dist(rng) >= ratio ? 1.0 : 0.0;
      y[i] = y[i] * keep[i] / (1.0 - ratio);
    }
  }
  store_doubles(y, ctx.allocate_output(0, x.dtype(), x.shape()));
  if (ctx.has_output(1)) {
    // The mask is bool from opset 10; before that it has X's type.
    const DType mask_type = ctx.opset() >= 10 ? DType::kBool : x.dtype();
    store_doubles(keep, ctx.allocate_output(1, mask_type, x.shape()));
  }
}

}  // namespace

void register_dropout_kernels(KernelRegistry& registry) {
  registry.add({"Dropout", "", 1, 11, compute_dropout});        // ratio attribute
  registry.add({"Dropout", "", 12, 1 << 20, compute_dropout});  // ratio, training_mode inputs
}

}  // namespace bog::runtime::ref
