// NegativeLogLikelihoodLoss (opset 12+) and SoftmaxCrossEntropyLoss (opset 12+): the second
// is the first applied to log_softmax(scores, axis=1). Inputs are [N, C, d1..dk] with labels
// [N, d1..dk]; reduction none/sum/mean, optional per-class weights and ignore_index.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <string>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/advanced_ops.h"
#include "onnx_runtime/providers/reference/kernels/float_io.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::ref {
namespace {

// Loss of log-probabilities `logp` ([N, C, inner] flattened) against `labels`; shape checks
// are done here for both ops.
Tensor nll(const KernelContext& ctx, const std::vector<double>& logp, const Shape& in_shape,
           DType out_dtype) {
  const Node& node = ctx.node();
  const Tensor& labels = ctx.input(1);
  if (in_shape.size() < 2) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': input must be [N, C, ...], got {}", node.op_type,
                            node.name, shape_to_string(in_shape)));
  }
  Shape label_shape = in_shape;
  label_shape.erase(label_shape.begin() + 1);
  if (labels.shape() != label_shape) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': labels shape {} should be {}", node.op_type, node.name,
                            shape_to_string(labels.shape()), shape_to_string(label_shape)));
  }
  if (labels.dtype() != DType::kInt64 && labels.dtype() != DType::kInt32) {
    unsupported_dtype(node, labels.dtype());
  }
  const int64_t n = in_shape[0], c = in_shape[1];
  int64_t inner = 1;
  for (size_t i = 2; i < in_shape.size(); ++i) inner *= in_shape[i];

  std::vector<double> weight;
  if (ctx.has_input(2)) {
    const Tensor& w = ctx.input(2);
    if (w.rank() != 1 || w.dim(0) != c) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("{} node '{}': weight shape {} should be [{}]", node.op_type,
                              node.name, shape_to_string(w.shape()), c));
    }
    weight = read_doubles(w, node);
  }
  const bool has_ignore = node.has_attr("ignore_index");
  const int64_t ignore_index = node.attr_int("ignore_index", 0);
  const std::string reduction = node.attr_string("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean") {
    throw Error(ErrorCategory::kInvalidModel, fmt::format("{} node '{}': unknown reduction '{}'",
                                                          node.op_type, node.name, reduction));
  }

  std::vector<double> loss(static_cast<size_t>(n * inner), 0.0);
  double weight_sum = 0.0;
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t i = 0; i < inner; ++i) {
      const size_t li = static_cast<size_t>(b * inner + i);
      const int64_t label =
          labels.dtype() == DType::kInt64 ? labels.data<int64_t>()[li] : labels.data<int32_t>()[li];
      if (has_ignore && label == ignore_index) continue;
      if (label < 0 || label >= c) {
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("{} node '{}': label {} out of range [0, {})", node.op_type,
                                node.name, label, c));
      }
      const double w = weight.empty() ? 1.0 : weight[static_cast<size_t>(label)];
      loss[li] = -logp[static_cast<size_t>((b * c + label) * inner + i)] * w;
      weight_sum += w;
    }
  }
  if (reduction == "none") return make_float_tensor(out_dtype, label_shape, loss, node);
  double total = 0.0;
  for (const double x : loss) total += x;
  // mean divides by the summed weights of the counted elements (their count without weights).
  if (reduction == "mean") total /= weight_sum;
  return make_float_tensor(out_dtype, {}, {total}, node);
}

void negative_log_likelihood_loss(KernelContext& ctx) {
  const Tensor& input = ctx.input(0);
  if (!is_float_family(input.dtype())) unsupported_dtype(ctx.node(), input.dtype());
  ctx.set_output(0, nll(ctx, read_doubles(input, ctx.node()), input.shape(), input.dtype()));
}

void softmax_cross_entropy_loss(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& scores = ctx.input(0);
  if (!is_float_family(scores.dtype())) unsupported_dtype(node, scores.dtype());
  if (scores.rank() < 2) {
    throw Error(
        ErrorCategory::kInvalidModel,
        fmt::format("SoftmaxCrossEntropyLoss node '{}': scores must be [N, C, ...]", node.name));
  }
  const std::vector<double> x = read_doubles(scores, node);
  const int64_t n = scores.dim(0), c = scores.dim(1),
                inner = scores.numel() / std::max<int64_t>(1, n * c);
  std::vector<double> logp(x.size());
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t k) { return static_cast<size_t>((b * c + k) * inner + i); };
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t k = 0; k < c; ++k) mx = std::max(mx, x[at(k)]);
      double sum = 0.0;
      for (int64_t k = 0; k < c; ++k) sum += std::exp(x[at(k)] - mx);
      const double log_sum = mx + std::log(sum);
      for (int64_t k = 0; k < c; ++k) logp[at(k)] = x[at(k)] - log_sum;
    }
  }
  ctx.set_output(0, nll(ctx, logp, scores.shape(), scores.dtype()));
  if (ctx.has_output(1)) {
    ctx.set_output(1, make_float_tensor(scores.dtype(), scores.shape(), logp, node));
  }
}

}  // namespace

void register_losses(KernelRegistry& registry) {
  registry.add({"NegativeLogLikelihoodLoss", "", 12, 1 << 20, negative_log_likelihood_loss});
  registry.add({"SoftmaxCrossEntropyLoss", "", 12, 1 << 20, softmax_cross_entropy_loss});
}

}  // namespace bog::runtime::ref
