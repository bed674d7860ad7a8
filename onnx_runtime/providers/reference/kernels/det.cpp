// Det: determinant of each trailing [M, M] matrix, by LU decomposition with partial pivoting
// in double.
#include <fmt/format.h>

#include <cmath>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

double determinant(std::vector<double> a, int64_t m) {
  double det = 1;
  for (int64_t col = 0; col < m; ++col) {
    int64_t pivot = col;
    for (int64_t r = col + 1; r < m; ++r) {
      if (std::fabs(a[static_cast<size_t>(r * m + col)]) >
          std::fabs(a[static_cast<size_t>(pivot * m + col)])) {
        pivot = r;
      }
    }
    if (a[static_cast<size_t>(pivot * m + col)] == 0) return 0;
    if (pivot != col) {
      for (int64_t c = 0; c < m; ++c) {
        std::swap(a[static_cast<size_t>(pivot * m + c)], a[static_cast<size_t>(col * m + c)]);
      }
      det = -det;
    }
    const double d = a[static_cast<size_t>(col * m + col)];
    det *= d;
    for (int64_t r = col + 1; r < m; ++r) {
      const double f = a[static_cast<size_t>(r * m + col)] / d;
      for (int64_t c = col; c < m; ++c) {
        a[static_cast<size_t>(r * m + c)] -= f * a[static_cast<size_t>(col * m + c)];
      }
    }
  }
  return det;
}

void compute_det(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  require_real(x, node);
  if (x.rank() < 2 || x.dim(x.rank() - 1) != x.dim(x.rank() - 2)) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("Det node '{}': input must be [..., M, M], got {}", node.name,
                            shape_to_string(x.shape())));
  }
  const int64_t m = x.dim(x.rank() - 1);
  const Shape out_shape(x.shape().begin(), x.shape().end() - 2);
  const std::vector<double> in = to_doubles(x);
  const size_t count = static_cast<size_t>(dims_product(out_shape, 0, out_shape.size()));
  std::vector<double> out(count);
  const size_t mm = static_cast<size_t>(m * m);
  for (size_t i = 0; i < count; ++i) {
    out[i] = determinant(std::vector<double>(in.begin() + static_cast<int64_t>(i * mm),
                                             in.begin() + static_cast<int64_t>((i + 1) * mm)),
                         m);
  }
  store_doubles(out, ctx.allocate_output(0, x.dtype(), out_shape));
}

}  // namespace

void register_det_kernels(KernelRegistry& registry) {
  registry.add({"Det", "", 11, 1 << 20, compute_det});
}

}  // namespace bog::runtime::ref
