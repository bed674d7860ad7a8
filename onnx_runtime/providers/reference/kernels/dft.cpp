// DFT (opset 17+) by the O(n^2) definition. Input [..., L, ..., 1 | 2] (real or complex in
// the last dim), transformed along `axis` (an attribute up to opset 19, an input from 20).
// dft_length zero-pads or truncates; onesided keeps the first floor(n/2)+1 bins of a real
// forward transform, and with inverse rebuilds the Hermitian spectrum to give a real signal.
#include <fmt/format.h>

#include <cmath>
#include <numbers>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/advanced_ops.h"
#include "onnx_runtime/providers/reference/kernels/float_io.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::ref {
namespace {

[[noreturn]] void bad(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel, fmt::format("DFT node '{}': {}", node.name, what));
}

int64_t scalar_int(const KernelContext& ctx, size_t i) {
  const Tensor& t = ctx.input(i);
  if (t.numel() != 1) bad(ctx.node(), fmt::format("input {} must be a scalar", i));
  return static_cast<int64_t>(read_numeric_as_doubles(t, ctx.node())[0]);
}

void dft(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  if (!is_float_family(x.dtype())) unsupported_dtype(node, x.dtype());
  const int64_t rank = x.rank();
  if (rank < 2 || (x.dim(rank - 1) != 1 && x.dim(rank - 1) != 2)) {
    bad(node, fmt::format("input must end in a dim of 1 or 2, got {}", shape_to_string(x.shape())));
  }
  int64_t axis =
      node.opset >= 20 ? (ctx.has_input(2) ? scalar_int(ctx, 2) : -2) : node.attr_int("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank - 1) bad(node, fmt::format("axis out of range for rank {}", rank));
  const bool inverse = node.attr_int("inverse", 0) != 0;
  const bool onesided = node.attr_int("onesided", 0) != 0;
  const bool complex_in = x.dim(rank - 1) == 2;
  const int64_t in_len = x.dim(axis);
  int64_t outer = 1, inner = 1;
  for (int64_t a = 0; a < axis; ++a) outer *= x.dim(a);
  for (int64_t a = axis + 1; a < rank - 1; ++a) inner *= x.dim(a);

  // n: the transform length. An inverse one-sided input holds n/2+1 bins of an n-point signal.
  int64_t n = in_len;
  if (ctx.has_input(1) && ctx.input(1).numel() > 0) {
    n = scalar_int(ctx, 1);
  } else if (inverse && onesided) {
    n = 2 * (in_len - 1);
  }
  if (n <= 0) bad(node, fmt::format("dft_length {} is not positive", n));
  const int64_t out_len = onesided && !inverse ? n / 2 + 1 : n;
  const bool real_out = inverse && onesided;

  const std::vector<double> xv = read_doubles(x, node);
  const int64_t cin = complex_in ? 2 : 1;
  auto in_at = [&](int64_t o, int64_t j, int64_t i, int64_t part) {
    if (part >= cin || j >= in_len) return 0.0;
    return xv[static_cast<size_t>(((o * in_len + j) * inner + i) * cin + part)];
  };
  const int64_t cout = real_out ? 1 : 2;
  std::vector<double> out(static_cast<size_t>(outer * out_len * inner * cout));
  const double sign = inverse ? 1.0 : -1.0;
  std::vector<double> re(static_cast<size_t>(n)), im(static_cast<size_t>(n));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        if (real_out) {
          // Bins above n/2 are the conjugates of their mirror images.
          const int64_t src = j <= n / 2 ? j : n - j;
          re[static_cast<size_t>(j)] = in_at(o, src, i, 0);
          im[static_cast<size_t>(j)] = (j <= n / 2 ? 1.0 : -1.0) * in_at(o, src, i, 1);
        } else {
          re[static_cast<size_t>(j)] = in_at(o, j, i, 0);
          im[static_cast<size_t>(j)] = in_at(o, j, i, 1);
        }
      }
      for (int64_t k = 0; k < out_len; ++k) {
        double sr = 0.0, si = 0.0;
        for (int64_t j = 0; j < n; ++j) {
          // (j * k) mod n keeps the angle small, so large transforms stay accurate.
          const double t = sign * 2.0 * std::numbers::pi * static_cast<double>((j * k) % n) /
                           static_cast<double>(n);
          const double c = std::cos(t), s = std::sin(t);
          sr += re[static_cast<size_t>(j)] * c - im[static_cast<size_t>(j)] * s;
          si += re[static_cast<size_t>(j)] * s + im[static_cast<size_t>(j)] * c;
        }
        if (inverse) {
          sr /= static_cast<double>(n);
          si /= static_cast<double>(n);
        }
        const size_t dst = static_cast<size_t>(((o * out_len + k) * inner + i) * cout);
        out[dst] = sr;
        if (!real_out) out[dst + 1] = si;
      }
    }
  }
  Shape out_shape = x.shape();
  out_shape[static_cast<size_t>(axis)] = out_len;
  out_shape.back() = cout;
  ctx.set_output(0, make_float_tensor(x.dtype(), out_shape, out, node));
}

}  // namespace

void register_dft(KernelRegistry& registry) { registry.add({"DFT", "", 17, 1 << 20, dft}); }

}  // namespace bog::runtime::ref
