// MaxRoiPool: for each region (batch_id, x1, y1, x2, y2) scaled by spatial_scale and rounded,
// max over each of pooled_shape bins (bin edges floor/ceil of the fractional bin size); an
// empty bin gives 0.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

void compute_max_roi_pool(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& rois = ctx.input(1);
  require_real(x, node);
  const Shape pooled = node.attr_ints("pooled_shape");
  const double scale = node.attr_float("spatial_scale", 1.0f);
  if (x.rank() != 4 || rois.rank() != 2 || rois.dim(1) != 5 || pooled.size() != 2) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("MaxRoiPool node '{}': needs X [N,C,H,W], rois [R,5], pooled_shape of "
                            "2; got X{} rois{}",
                            node.name, shape_to_string(x.shape()), shape_to_string(rois.shape())));
  }
  const int64_t channels = x.dim(1), height = x.dim(2), width = x.dim(3);
  const int64_t ph = pooled[0], pw = pooled[1];
  const std::vector<double> xv = to_doubles(x), rv = to_doubles(rois);
  std::vector<double> y(static_cast<size_t>(rois.dim(0) * channels * ph * pw), 0.0);
  for (int64_t r = 0; r < rois.dim(0); ++r) {
    const double* roi = rv.data() + r * 5;
    const int64_t batch = static_cast<int64_t>(roi[0]);
    if (batch < 0 || batch >= x.dim(0)) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("MaxRoiPool node '{}': roi {} names batch {}", node.name, r, batch));
    }
    const int64_t x1 = std::llround(roi[1] * scale), y1 = std::llround(roi[2] * scale);
    const int64_t x2 = std::llround(roi[3] * scale), y2 = std::llround(roi[4] * scale);
    const double bin_h = static_cast<double>(std::max<int64_t>(y2 - y1 + 1, 1)) / ph;
    const double bin_w = static_cast<double>(std::max<int64_t>(x2 - x1 + 1, 1)) / pw;
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < ph; ++i) {
        for (int64_t j = 0; j < pw; ++j) {
          const int64_t h0 =
              std::clamp<int64_t>(static_cast<int64_t>(std::floor(i * bin_h)) + y1, 0, height);
          const int64_t h1 =
              std::clamp<int64_t>(static_cast<int64_t>(std::ceil((i + 1) * bin_h)) + y1, 0, height);
          const int64_t w0 =
              std::clamp<int64_t>(static_cast<int64_t>(std::floor(j * bin_w)) + x1, 0, width);
          const int64_t w1 =
              std::clamp<int64_t>(static_cast<int64_t>(std::ceil((j + 1) * bin_w)) + x1, 0, width);
          double m = -std::numeric_limits<double>::infinity();
          for (int64_t h = h0; h < h1; ++h) {
            for (int64_t w = w0; w < w1; ++w) {
              m = std::max(
                  m, xv[static_cast<size_t>(((batch * channels + c) * height + h) * width + w)]);
            }
          }
          y[static_cast<size_t>(((r * channels + c) * ph + i) * pw + j)] =
              std::isinf(m) && m < 0 ? 0.0 : m;
        }
      }
    }
  }
  store_doubles(y, ctx.allocate_output(0, x.dtype(), {rois.dim(0), channels, ph, pw}));
}

}  // namespace

void register_max_roi_pool_kernels(KernelRegistry& registry) {
  registry.add({"MaxRoiPool", "", 1, 1 << 20, compute_max_roi_pool});
}

}  // namespace bog::runtime::ref
