// BatchNormalization over channel axis 1:
//   Y = (X - mean) / sqrt(var + epsilon) * scale + B.
// Inference uses input_mean/input_var. From opset 14, training_mode=1 uses the batch statistics
// (population variance over every axis but 1) and also outputs the updated running stats
//   running = input * momentum + batch * (1 - momentum).
// Before opset 9, spatial=0 gives per-activation parameters of shape X.shape[1:].
#include <fmt/format.h>

#include <cmath>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

void compute_batch_normalization(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  require_real(x, node);
  if (x.rank() < 2) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("BatchNormalization node '{}': X must be at least 2-D, got {}",
                            node.name, shape_to_string(x.shape())));
  }
  const double epsilon = node.attr_float("epsilon", 1e-5f);
  const double momentum = node.attr_float("momentum", 0.9f);
  const bool training = ctx.opset() >= 14 && node.attr_int("training_mode", 0) != 0;
  const bool spatial = ctx.opset() >= 9 || node.attr_int("spatial", 1) != 0;
  if (ctx.opset() < 14) {
    for (size_t i = 1; i < ctx.num_outputs(); ++i) {
      if (ctx.has_output(i)) {
        throw Error(ErrorCategory::kUnsupported,
                    fmt::format("BatchNormalization node '{}': training outputs of opset {} are "
                                "not supported",
                                node.name, ctx.opset()));
      }
    }
  }
  // Parameters are indexed by channel (spatial) or by position within one sample.
  const int64_t channels = x.dim(1);
  const int64_t inner = dims_product(x.shape(), 2, x.shape().size());
  const int64_t params = spatial ? channels : channels * inner;
  const auto param_of = [&](int64_t flat) {
    return static_cast<size_t>(spatial ? (flat / inner) % channels : flat % params);
  };
  std::vector<std::vector<double>> p;
  for (size_t i = 1; i <= 4; ++i) {
    p.push_back(to_doubles(ctx.input(i)));
    if (static_cast<int64_t>(p.back().size()) != params) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("BatchNormalization node '{}': input {} has {} values, want {}",
                              node.name, i, p.back().size(), params));
    }
  }
  const std::vector<double>& scale = p[0];
  const std::vector<double>& bias = p[1];
  std::vector<double> mean = p[2];
  std::vector<double> var = p[3];
  const std::vector<double> in = to_doubles(x);
  if (training) {
    std::vector<double> sum(static_cast<size_t>(params), 0.0), sq(sum.size(), 0.0);
    const double count = static_cast<double>(x.numel() / params);
    for (size_t i = 0; i < in.size(); ++i) sum[param_of(static_cast<int64_t>(i))] += in[i];
    for (double& s : sum) s /= count;
    for (size_t i = 0; i < in.size(); ++i) {
      const double d = in[i] - sum[param_of(static_cast<int64_t>(i))];
      sq[param_of(static_cast<int64_t>(i))] += d * d;
    }
    for (double& s : sq) s /= count;
    std::vector<double> running_mean(sum.size()), running_var(sum.size());
    for (size_t c = 0; c < sum.size(); ++c) {
      running_mean[c] = mean[c] * momentum + sum[c] * (1 - momentum);
      running_var[c] = var[c] * momentum + sq[c] * (1 - momentum);
    }
    if (ctx.has_output(1)) {
      store_doubles(running_mean,
                    ctx.allocate_output(1, ctx.input(3).dtype(), ctx.input(3).shape()));
    }
    if (ctx.has_output(2)) {
      store_doubles(running_var,
                    ctx.allocate_output(2, ctx.input(4).dtype(), ctx.input(4).shape()));
    }
    mean = sum;
    var = sq;
  }
  std::vector<double> y(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const size_t c = param_of(static_cast<int64_t>(i));
    y[i] = (in[i] - mean[c]) / std::sqrt(var[c] + epsilon) * scale[c] + bias[c];
  }
  store_doubles(y, ctx.allocate_output(0, x.dtype(), x.shape()));
}

}  // namespace

void register_batch_normalization_kernels(KernelRegistry& registry) {
  registry.add({"BatchNormalization", "", 1, 13, compute_batch_normalization});
  registry.add({"BatchNormalization", "", 14, 1 << 20, compute_batch_normalization});
}

}  // namespace bog::runtime::ref
