// ConvTranspose: the gradient of Conv, written as a scatter. X [N, C, in...], W [C, M/group,
// k...]. Output size per dim is
//   stride * (in - 1) + output_padding + (k - 1) * dilation + 1 - pad_begin - pad_end,
// or output_shape when given. With auto_pad SAME_* the output is in * stride and the total
// padding is split with the odd unit at the end (SAME_UPPER) or the beginning (SAME_LOWER).
#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

void compute_conv_transpose(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  require_real(x, node);
  const int64_t group = node.attr_int("group", 1);
  if (x.rank() < 3 || w.rank() != x.rank() || group <= 0 || x.dim(1) != w.dim(0) ||
      x.dim(1) % group != 0) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("ConvTranspose node '{}': X{} and W{} do not fit group {}", node.name,
                            shape_to_string(x.shape()), shape_to_string(w.shape()), group));
  }
  const size_t rank = static_cast<size_t>(x.rank()) - 2;
  const Shape in(x.shape().begin() + 2, x.shape().end());
  const Shape kernel =
      node.attr_ints("kernel_shape", Shape(w.shape().begin() + 2, w.shape().end()));
  const Shape strides = node.attr_ints("strides", Shape(rank, 1));
  const Shape dilations = node.attr_ints("dilations", Shape(rank, 1));
  const Shape output_padding = node.attr_ints("output_padding", Shape(rank, 0));
  const Shape output_shape_attr = node.attr_ints("output_shape");
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  Shape pads = node.attr_ints("pads", Shape(2 * rank, 0));
  if (kernel.size() != rank || strides.size() != rank || dilations.size() != rank ||
      output_padding.size() != rank || pads.size() != 2 * rank ||
      (!output_shape_attr.empty() && output_shape_attr.size() != rank &&
       output_shape_attr.size() != rank + 2)) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("ConvTranspose node '{}': attributes do not match {} spatial dims",
                            node.name, rank));
  }
  // W's data is laid out by its own dims: a kernel_shape that disagrees read past it (found by
  // the fuzz target). Strides and dilations below 1 have no meaning.
  for (size_t d = 0; d < rank; ++d) {
    if (kernel[d] != w.dim(static_cast<int64_t>(d) + 2) || strides[d] < 1 || dilations[d] < 1) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("ConvTranspose node '{}': kernel_shape, strides or dilations do not "
                              "fit W{} in spatial dim {}",
                              node.name, shape_to_string(w.shape()), d));
    }
  }
  // output_shape may be given with or without the N and C dims.
  const Shape output_shape = output_shape_attr.size() == rank + 2
                                 ? Shape(output_shape_attr.begin() + 2, output_shape_attr.end())
                                 : output_shape_attr;
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t span = (kernel[d] - 1) * dilations[d] + 1;
    const int64_t full = strides[d] * (in[d] - 1) + output_padding[d] + span;
    if (same) {
      out[d] = output_shape.empty() ? in[d] * strides[d] : output_shape[d];
      const int64_t total = std::max<int64_t>(0, full - out[d]);
      pads[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pads[rank + d] = total - pads[d];
    } else {
      if (auto_pad == "VALID") pads[d] = pads[rank + d] = 0;
      out[d] = output_shape.empty() ? full - pads[d] - pads[rank + d] : output_shape[d];
    }
    if (out[d] < 0) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("ConvTranspose node '{}': negative output size", node.name));
    }
  }
  const int64_t batch = x.dim(0);
  const int64_t in_channels = x.dim(1);
  const int64_t m_per_group = w.dim(1);
  const int64_t out_channels = m_per_group * group;
  const int64_t c_per_group = in_channels / group;
  const int64_t in_size = dims_product(in, 0, rank);
  const int64_t out_size = dims_product(out, 0, rank);
  const int64_t k_size = dims_product(kernel, 0, rank);
  const std::vector<int64_t> out_strides = strides_of(out);
  const std::vector<double> xv = to_doubles(x), wv = to_doubles(w);
  std::vector<double> y(static_cast<size_t>(batch * out_channels * out_size), 0.0);
  if (ctx.has_input(2)) {
    const std::vector<double> b = broadcast_to(ctx.input(2), {out_channels}, node);
    for (size_t i = 0; i < y.size(); ++i) {
      y[i] = b[static_cast<size_t>((static_cast<int64_t>(i) / std::max<int64_t>(out_size, 1)) %
                                   out_channels)];
    }
  }
  if (in_size > 0 && k_size > 0 && out_size > 0) {
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t c = 0; c < in_channels; ++c) {
        const int64_t grp = c / c_per_group;
        std::vector<int64_t> i(rank, 0);
        int64_t i_flat = 0;
        do {
          const double xval = xv[static_cast<size_t>((n * in_channels + c) * in_size + i_flat)];
          std::vector<int64_t> k(rank, 0);
          int64_t k_flat = 0;
          do {
            int64_t out_off = 0;
            bool inside = true;
            for (size_t d = 0; d < rank; ++d) {
              const int64_t p = i[d] * strides[d] + k[d] * dilations[d] - pads[d];
              if (p < 0 || p >= out[d]) {
                inside = false;
                break;
              }
              out_off += p * out_strides[d];
            }
            if (inside) {
              for (int64_t m = 0; m < m_per_group; ++m) {
                const int64_t oc = grp * m_per_group + m;
                y[static_cast<size_t>((n * out_channels + oc) * out_size + out_off)] +=
                    xval * wv[static_cast<size_t>((c * m_per_group + m) * k_size + k_flat)];
              }
            }
            ++k_flat;
          } while (next_index(k, kernel));
          ++i_flat;
        } while (next_index(i, in));
      }
    }
  }
  Shape out_shape{batch, out_channels};
  out_shape.insert(out_shape.end(), out.begin(), out.end());
  store_doubles(y, ctx.allocate_output(0, x.dtype(), out_shape));
}

}  // namespace

void register_conv_transpose_kernels(KernelRegistry& registry) {
  registry.add({"ConvTranspose", "", 1, 1 << 20, compute_conv_transpose});
}

}  // namespace bog::runtime::ref
