// LRN (local response normalization across channels, axis 1):
//   square_sum[c] = sum of X[c']^2 for c' in [c - floor((size-1)/2), c + ceil((size-1)/2)]
//   Y = X / (bias + alpha / size * square_sum) ^ beta
#include <fmt/format.h>

#include <cmath>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

void compute_lrn(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  require_real(x, node);
  const int64_t size = node.attr_int("size", 0);
  if (size <= 0 || x.rank() < 2) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("LRN node '{}': needs size > 0 (got {}) and X of rank >= 2 (got {})",
                            node.name, size, x.rank()));
  }
  const double alpha = node.attr_float("alpha", 1e-4f);
  const double beta = node.attr_float("beta", 0.75f);
  const double bias = node.attr_float("bias", 1.0f);
  const int64_t channels = x.dim(1);
  const int64_t inner = dims_product(x.shape(), 2, x.shape().size());
  const int64_t before = (size - 1) / 2;
  const int64_t after = size - 1 - before;
  const std::vector<double> in = to_doubles(x);
  std::vector<double> y(in.size());
  for (int64_t n = 0; n < x.dim(0); ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < inner; ++i) {
        double sq = 0;
        for (int64_t k = std::max<int64_t>(0, c - before); k <= std::min(channels - 1, c + after);
             ++k) {
          const double v = in[static_cast<size_t>((n * channels + k) * inner + i)];
          sq += v * v;
        }
        const size_t at = static_cast<size_t>((n * channels + c) * inner + i);
        y[at] = in[at] / std::pow(bias + alpha / static_cast<double>(size) * sq, beta);
      }
    }
  }
  store_doubles(y, ctx.allocate_output(0, x.dtype(), x.shape()));
}

}  // namespace

void register_lrn_kernels(KernelRegistry& registry) {
  registry.add({"LRN", "", 1, 1 << 20, compute_lrn});
}

}  // namespace bog::runtime::ref
