// MaxUnpool: scatters X into a zero tensor at the flat offsets in I (MaxPool's Indices).
// The default output spatial size is (in - 1) * stride + kernel - pad_begin - pad_end. The
// indices address that default shape; with output_shape given, each element keeps its
// coordinates in the larger output (the extra rows/columns stay zero).
#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

void compute_max_unpool(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  require_real(x, node);
  const Tensor& ind = ctx.input(1);
  if (x.rank() < 3 || ind.shape() != x.shape()) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("MaxUnpool node '{}': X{} and I{} must be equal [N, C, D...] shapes",
                            node.name, shape_to_string(x.shape()), shape_to_string(ind.shape())));
  }
  const size_t rank = static_cast<size_t>(x.rank()) - 2;
  const Shape kernel = node.attr_ints("kernel_shape");
  const Shape strides = node.attr_ints("strides", Shape(rank, 1));
  const Shape pads = node.attr_ints("pads", Shape(2 * rank, 0));
  if (kernel.size() != rank || strides.size() != rank || pads.size() != 2 * rank) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("MaxUnpool node '{}': attributes do not match {} spatial dims",
                            node.name, rank));
  }
  Shape default_shape{x.dim(0), x.dim(1)};
  for (size_t d = 0; d < rank; ++d) {
    default_shape.push_back((x.dim(static_cast<int64_t>(d) + 2) - 1) * strides[d] + kernel[d] -
                            pads[d] - pads[rank + d]);
  }
  const Shape out_shape = ctx.has_input(2) ? read_int_list(ctx.input(2), node) : default_shape;
  if (out_shape.size() != default_shape.size()) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("MaxUnpool node '{}': output_shape {} has the wrong rank", node.name,
                            shape_to_string(out_shape)));
  }
  const std::vector<int64_t> out_strides = strides_of(out_shape);
  const int64_t default_numel = dims_product(default_shape, 0, default_shape.size());
  Tensor& y_t = ctx.allocate_output(0, x.dtype(), out_shape);
  std::vector<double> y(static_cast<size_t>(y_t.numel()), 0.0);
  const std::vector<double> xv = to_doubles(x);
  const std::vector<int64_t> iv = to_int64s(ind);
  for (size_t i = 0; i < xv.size(); ++i) {
    if (iv[i] < 0 || iv[i] >= default_numel) {
      throw Error(
          ErrorCategory::kInvalidArgument,
          fmt::format("MaxUnpool node '{}': index {} outside the pooled input of {} elements",
                      node.name, iv[i], default_numel));
    }
    // Decode against the default shape, re-encode against the output shape.
    int64_t rest = iv[i], at = 0;
    bool fits = true;
    for (size_t d = default_shape.size(); d-- > 0;) {
      const int64_t coord = rest % default_shape[d];
      rest /= default_shape[d];
      if (coord >= out_shape[d]) fits = false;
      at += coord * out_strides[d];
    }
    if (!fits) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("MaxUnpool node '{}': index {} falls outside output_shape {}",
                              node.name, iv[i], shape_to_string(out_shape)));
    }
    y[static_cast<size_t>(at)] = xv[i];
  }
  store_doubles(y, y_t);
}

}  // namespace

void register_max_unpool_kernels(KernelRegistry& registry) {
  registry.add({"MaxUnpool", "", 9, 1 << 20, compute_max_unpool});
}

}  // namespace bog::runtime::ref
