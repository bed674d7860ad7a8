// Softmax and LayerNormalization over the last axis, and the fused RmsNorm, for float32.
// Row statistics accumulate in float with Eigen's vectorised sums (rows are the model width).
#include <fmt/format.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/gemm/packed_gemm.h"
#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"

namespace bog::runtime::cpu {
namespace {

// Number of rows and row width when reducing over the last axis.
std::pair<int64_t, int64_t> rows_cols(const Tensor& x) {
  const int64_t cols = x.rank() == 0 ? 1 : x.shape().back();
  const int64_t rows = cols == 0 ? 0 : x.numel() / cols;
  return {rows, cols};
}

}  // namespace

KernelFn make_softmax(KernelFn fallback) {
  return [fallback](KernelContext& ctx) {
    const Node& node = ctx.node();
    const Tensor& x = ctx.input(0);
    // Opset < 13 coerces to 2-D at `axis`; only the opset-13 last-axis form is specialised.
    const int64_t axis = node.attr_int("axis", -1);
    if (!all_float32(ctx) || node.opset < 13 || x.rank() == 0 ||
        (axis != -1 && axis != x.rank() - 1)) {
      return fallback(ctx);
    }
    Tensor& out = ctx.output_uninit(0, DType::kFloat32, x.shape());
    const auto [rows, cols] = rows_cols(x);
    const bool log = node.op_type == "LogSoftmax";
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x.data<float>() + r * cols;
      float* yr = out.data<float>() + r * cols;
      // Subtract the row max before exp so large logits cannot overflow. Eigen's vectorised
      // exp; the sum is accumulated in double (rows can be long).
      const Eigen::Map<const Eigen::ArrayXf> xa(xr, cols);
      Eigen::Map<Eigen::ArrayXf> ya(yr, cols);
      const float mx = xa.maxCoeff();
      ya = (xa - mx).exp();
      const double sum = ya.cast<double>().sum();
      if (log) {
        ya = xa - (mx + static_cast<float>(std::log(sum)));
      } else {
        ya *= static_cast<float>(1.0 / sum);
      }
    }
  };
}

KernelFn make_layer_normalization(KernelFn fallback) {
  return [fallback](KernelContext& ctx) {
    const Node& node = ctx.node();
    const Tensor& x = ctx.input(0);
    const int64_t axis = node.attr_int("axis", -1);
    const bool extra_outputs = ctx.has_output(1) || ctx.has_output(2);
    if (!all_float32(ctx) || x.rank() == 0 || (axis != -1 && axis != x.rank() - 1) ||
        extra_outputs || ctx.input(1).numel() != x.shape().back() ||
        (ctx.has_input(2) && ctx.input(2).numel() != x.shape().back())) {
      return fallback(ctx);
    }
    const float eps = node.attr_float("epsilon", 1e-5f);
    Tensor& out = ctx.output_uninit(0, DType::kFloat32, x.shape());
    const auto [rows, cols] = rows_cols(x);
    const float* scale = ctx.input(1).data<float>();
    const float* bias = ctx.has_input(2) ? ctx.input(2).data<float>() : nullptr;
    const Eigen::Map<const Eigen::ArrayXf> gamma(scale, cols);
    for (int64_t r = 0; r < rows; ++r) {
      const Eigen::Map<const Eigen::ArrayXf> xr(x.data<float>() + r * cols, cols);
      Eigen::Map<Eigen::ArrayXf> yr(out.data<float>() + r * cols, cols);
      // Two passes in float (rows are short: the model width); the centred second pass keeps
      // the variance accurate where one-pass E[x^2] - E[x]^2 would cancel.
      const float mean = xr.sum() / static_cast<float>(cols);
      yr = xr - mean;
      const float var = yr.square().sum() / static_cast<float>(cols);
      yr *= (1.0f / std::sqrt(var + eps)) * gamma;
      if (bias != nullptr) yr += Eigen::Map<const Eigen::ArrayXf>(bias, cols);
    }
  };
}

// RmsNorm(X, scale?) = X / sqrt(mean(X^2, last axis) + epsilon) * scale
KernelFn make_rms_norm_fused(std::shared_ptr<ThreadPool> pool) {
  return [pool](KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    const float eps = ctx.node().attr_float("epsilon", 1e-6f);
    Tensor& out = ctx.output_uninit(0, DType::kFloat32, x.shape());
    // Plain locals, not a structured binding: norm_rows captures cols, and clang before 16
    // (Debian 12 has 14) cannot capture a structured binding in a lambda.
    const std::pair<int64_t, int64_t> rc = rows_cols(x);
    const int64_t rows = rc.first;
    const int64_t cols = rc.second;
    const float* scale = ctx.has_input(1) ? ctx.input(1).data<float>() : nullptr;
    const int64_t scale_n = ctx.has_input(1) ? ctx.input(1).numel() : 0;
    const auto norm_rows = [&](int64_t r_begin, int64_t r_end) {
      for (int64_t r = r_begin; r < r_end; ++r) {
        const Eigen::Map<const Eigen::ArrayXf> xr(x.data<float>() + r * cols, cols);
        Eigen::Map<Eigen::ArrayXf> yr(out.data<float>() + r * cols, cols);
        const float ms = xr.square().sum() / static_cast<float>(cols);
        const float inv = 1.0f / std::sqrt(ms + eps);
        if (scale != nullptr && scale_n == cols) {
          yr = xr * inv * Eigen::Map<const Eigen::ArrayXf>(scale, cols);
        } else {
          yr = xr * (inv * (scale != nullptr ? scale[0] : 1.0f));
        }
      }
    };
    parallel_ranges(pool.get(), rows,
                    std::max<int64_t>(1, kMinParallelFloats / std::max<int64_t>(cols, 1)),
                    norm_rows);
  };
}

// Gelu(X) = 0.5 * X * (1 + erf(X / sqrt(2)))   (approximate="tanh": the tanh form)
KernelFn make_gelu_fused() {
  return [](KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    const bool tanh_form = ctx.node().attr_string("approximate", "none") == "tanh";
    Tensor& out = ctx.output_uninit(0, DType::kFloat32, x.shape());
    if (x.numel() > 0) std::memcpy(out.raw(), x.raw(), x.nbytes());
    apply_activation(tanh_form ? Activation::kGeluTanh : Activation::kGeluErf, out.data<float>(),
                     out.numel());
  };
}

// Silu(X) = X * sigmoid(X)
KernelFn make_silu_fused() {
  return [](KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    Tensor& out = ctx.output_uninit(0, DType::kFloat32, x.shape());
    if (x.numel() > 0) std::memcpy(out.raw(), x.raw(), x.nbytes());
    apply_activation(Activation::kSilu, out.data<float>(), out.numel());
  };
}

}  // namespace bog::runtime::cpu
