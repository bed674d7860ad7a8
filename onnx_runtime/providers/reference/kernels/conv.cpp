// Conv: grouped N-D convolution (1-D/2-D/3-D and beyond) with strides, dilations, explicit
// pads or auto_pad, and an optional per-output-channel bias. A direct loop in double.
#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {

WindowGeometry conv_geometry(const Node& node, const Shape& x_shape, const Shape& w_shape,
                             int64_t group) {
  if (x_shape.size() < 3 || w_shape.size() != x_shape.size() || group <= 0 ||
      x_shape[1] != w_shape[1] * group || w_shape[0] % group != 0) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': X{} and W{} do not fit a convolution with group {}",
                            node.op_type, node.name, shape_to_string(x_shape),
                            shape_to_string(w_shape), group));
  }
  const Shape in(x_shape.begin() + 2, x_shape.end());
  const Shape kernel = node.attr_ints("kernel_shape", Shape(w_shape.begin() + 2, w_shape.end()));
  if (kernel != Shape(w_shape.begin() + 2, w_shape.end())) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': kernel_shape {} differs from W{}", node.op_type,
                            node.name, shape_to_string(kernel), shape_to_string(w_shape)));
  }
  return window_geometry(node, in, kernel, false);
}

std::vector<double> direct_conv(const std::vector<double>& x, const Shape& x_shape,
                                const std::vector<double>& w, const Shape& w_shape, int64_t group,
                                const WindowGeometry& g) {
  const size_t rank = g.in.size();
  const int64_t batch = x_shape[0];
  const int64_t in_channels = x_shape[1];
  const int64_t out_channels = w_shape[0];
  const int64_t c_per_group = in_channels / group;
  const int64_t m_per_group = out_channels / group;
  const int64_t in_size = dims_product(g.in, 0, rank);
  const int64_t out_size = dims_product(g.out, 0, rank);
  const int64_t k_size = dims_product(g.kernel, 0, rank);
  const std::vector<int64_t> in_strides = strides_of(g.in);
  std::vector<double> y(static_cast<size_t>(batch * out_channels * out_size), 0.0);
  if (out_size == 0 || k_size == 0) return y;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t m = 0; m < out_channels; ++m) {
      const int64_t grp = m / m_per_group;
      std::vector<int64_t> o(rank, 0);
      int64_t o_flat = 0;
      do {
        double sum = 0;
        std::vector<int64_t> k(rank, 0);
        int64_t k_flat = 0;
        do {
          // Input position of this kernel tap; taps in the padding contribute zero.
          int64_t in_off = 0;
          bool inside = true;
          for (size_t d = 0; d < rank; ++d) {
            const int64_t p = o[d] * g.strides[d] - g.pads_begin[d] + k[d] * g.dilations[d];
            if (p < 0 || p >= g.in[d]) {
              inside = false;
              break;
            }
            in_off += p * in_strides[d];
          }
          if (inside) {
            for (int64_t c = 0; c < c_per_group; ++c) {
              const int64_t ic = grp * c_per_group + c;
              sum += x[static_cast<size_t>((n * in_channels + ic) * in_size + in_off)] *
                     w[static_cast<size_t>((m * c_per_group + c) * k_size + k_flat)];
            }
          }
          ++k_flat;
        } while (next_index(k, g.kernel));
        y[static_cast<size_t>((n * out_channels + m) * out_size + o_flat)] = sum;
        ++o_flat;
      } while (next_index(o, g.out));
    }
  }
  return y;
}

namespace {

void compute_conv(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  require_real(x, node);
  const int64_t group = node.attr_int("group", 1);
  const WindowGeometry g = conv_geometry(node, x.shape(), w.shape(), group);
  std::vector<double> y = direct_conv(to_doubles(x), x.shape(), to_doubles(w), w.shape(), group, g);
  const int64_t out_channels = w.dim(0);
  if (ctx.has_input(2)) {
    const std::vector<double> b = broadcast_to(ctx.input(2), {out_channels}, node);
    const int64_t out_size = dims_product(g.out, 0, g.out.size());
    for (size_t i = 0; i < y.size(); ++i) {
      y[i] += b[static_cast<size_t>((static_cast<int64_t>(i) / out_size) % out_channels)];
    }
  }
  Shape out_shape{x.dim(0), out_channels};
  out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());
  store_doubles(y, ctx.allocate_output(0, x.dtype(), out_shape));
}

// ConvInteger: (x - x_zero_point) conv (w - w_zero_point) accumulated exactly into int32. The
// w zero point may be per output channel. Products of 8-bit values are exact in double.
void compute_conv_integer(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  for (const Tensor* t : {&x, &w}) {
    if (t->dtype() != DType::kInt8 && t->dtype() != DType::kUint8)
      unsupported_dtype(node, t->dtype());
  }
  const int64_t group = node.attr_int("group", 1);
  const WindowGeometry g = conv_geometry(node, x.shape(), w.shape(), group);
  std::vector<double> xv = to_doubles(x), wv = to_doubles(w);
  if (ctx.has_input(2)) {
    const double zp = to_doubles(ctx.input(2)).at(0);
    for (double& v : xv) v -= zp;
  }
  const int64_t out_channels = w.dim(0);
  if (ctx.has_input(3)) {
    const std::vector<double> zp = broadcast_to(ctx.input(3), {out_channels}, node);
    const int64_t per_channel = w.numel() / std::max<int64_t>(out_channels, 1);
    for (size_t i = 0; i < wv.size(); ++i) {
      wv[i] -= zp[static_cast<size_t>(static_cast<int64_t>(i) / per_channel)];
    }
  }
  // Padding is applied to (x - zero_point), i.e. pads contribute zero after the shift.
  const std::vector<double> y = direct_conv(xv, x.shape(), wv, w.shape(), group, g);
  Shape out_shape{x.dim(0), out_channels};
  out_shape.insert(out_shape.end(), g.out.begin(), g.out.end());
  store_doubles(y, ctx.allocate_output(0, DType::kInt32, out_shape));
}

}  // namespace

void register_conv_kernels(KernelRegistry& registry) {
  registry.add({"Conv", "", 1, 1 << 20, compute_conv});
  registry.add({"ConvInteger", "", 10, 1 << 20, compute_conv_integer});
}

}  // namespace bog::runtime::ref
