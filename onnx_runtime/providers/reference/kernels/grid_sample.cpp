// GridSample (opset 16+): samples X [N, C, D1..Dr] at the normalized coordinates of
// grid [N, O1..Or, r] (last entry = x, the innermost axis). Modes nearest / linear / cubic
// (opset 16 names bilinear / bicubic), padding zeros / border / reflection, align_corners.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/advanced_ops.h"
#include "onnx_runtime/providers/reference/kernels/float_io.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::ref {
namespace {

[[noreturn]] void bad(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("GridSample node '{}': {}", node.name, what));
}

enum class Padding { kZeros, kBorder, kReflection };

// Folds x back into [lo, hi] as a mirror would.
double reflect(double x, double lo, double hi) {
  const double range = hi - lo;
  if (range <= 0.0) return lo;
  if (x < lo) {
    const double d = lo - x;
    const double n = std::floor(d / range);
    const double r = d - n * range;
    return std::fmod(n, 2.0) == 0.0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const double d = x - hi;
    const double n = std::floor(d / range);
    const double r = d - n * range;
    return std::fmod(n, 2.0) == 0.0 ? hi - r : lo + r;
  }
  return x;
}

struct Tap {
  int64_t index;  // -1: outside with zero padding (contributes nothing)
  double weight;
};

struct Sampler {
  std::string mode;
  Padding padding;
  bool align_corners;

  // The in-range index for integer position i, or -1 under zero padding.
  int64_t pad_index(int64_t i, int64_t size) const {
    if (i >= 0 && i < size) return i;
    if (padding == Padding::kZeros) return -1;
    if (padding == Padding::kBorder) return std::clamp<int64_t>(i, 0, size - 1);
    const double lo = align_corners ? 0.0 : -0.5;
    const double hi =
        align_corners ? static_cast<double>(size - 1) : static_cast<double>(size) - 0.5;
    const double r = reflect(static_cast<double>(i), lo, hi);
    return std::clamp<int64_t>(static_cast<int64_t>(std::round(r)), 0, size - 1);
  }

  std::vector<Tap> taps(double g, int64_t size) const {
    const double n = static_cast<double>(size);
    double x = align_corners ? (g + 1.0) / 2.0 * (n - 1.0) : ((g + 1.0) * n - 1.0) / 2.0;
    if (padding == Padding::kBorder) x = std::clamp(x, 0.0, n - 1.0);
    if (padding == Padding::kReflection) {
      x = align_corners ? reflect(x, 0.0, n - 1.0) : reflect(x, -0.5, n - 0.5);
    }
    std::vector<Tap> t;
    if (mode == "nearest") {
      t.push_back({pad_index(static_cast<int64_t>(std::nearbyint(x)), size), 1.0});
      return t;
    }
    const double base = std::floor(x);
    const double r = x - base;
    const int64_t b = static_cast<int64_t>(base);
    if (mode == "linear") {
      t.push_back({pad_index(b, size), 1.0 - r});
      t.push_back({pad_index(b + 1, size), r});
      return t;
    }
    // Cubic convolution with a = -0.75 over the four points around x.
    const double a = -0.75;
    auto near = [&](double d) { return ((a + 2.0) * d - (a + 3.0)) * d * d + 1.0; };
    auto far = [&](double d) { return ((a * d - 5.0 * a) * d + 8.0 * a) * d - 4.0 * a; };
    t.push_back({pad_index(b - 1, size), far(r + 1.0)});
    t.push_back({pad_index(b, size), near(r)});
    t.push_back({pad_index(b + 1, size), near(1.0 - r)});
    t.push_back({pad_index(b + 2, size), far(2.0 - r)});
    return t;
  }
};

void grid_sample(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& grid = ctx.input(1);
  if (!is_float_family(x.dtype())) unsupported_dtype(node, x.dtype());
  if (!is_float_family(grid.dtype())) unsupported_dtype(node, grid.dtype());
  const int64_t r = x.rank() - 2;
  if (r < 1)
    bad(node, fmt::format("X must be [N, C, D1, ...], got {}", shape_to_string(x.shape())));
  if (grid.rank() != r + 2 || grid.dim(0) != x.dim(0) || grid.dim(r + 1) != r) {
    bad(node, fmt::format("grid shape {} does not fit X shape {}", shape_to_string(grid.shape()),
                          shape_to_string(x.shape())));
  }
  Sampler s;
  s.mode = node.attr_string("mode", node.opset < 20 ? "bilinear" : "linear");
  if (s.mode == "bilinear") s.mode = "linear";
  if (s.mode == "bicubic") s.mode = "cubic";
  if (s.mode != "nearest" && s.mode != "linear" && s.mode != "cubic") {
    bad(node, fmt::format("unknown mode '{}'", s.mode));
  }
  const std::string padding = node.attr_string("padding_mode", "zeros");
  if (padding == "zeros") {
    s.padding = Padding::kZeros;
  } else if (padding == "border") {
    s.padding = Padding::kBorder;
  } else if (padding == "reflection") {
    s.padding = Padding::kReflection;
  } else {
    bad(node, fmt::format("unknown padding_mode '{}'", padding));
  }
  s.align_corners = node.attr_int("align_corners", 0) != 0;

  const int64_t n = x.dim(0), c = x.dim(1);
  Shape in_spatial(x.shape().begin() + 2, x.shape().end());
  Shape out_shape = {n, c};
  int64_t out_points = 1;
  for (int64_t i = 1; i <= r; ++i) {
    out_shape.push_back(grid.dim(i));
    out_points *= grid.dim(i);
  }
  int64_t in_points = 1;
  for (const int64_t d : in_spatial) in_points *= d;
  if (in_points == 0 && out_points > 0 && n * c > 0) bad(node, "cannot sample an empty input");
  const std::vector<int64_t> in_strides = strides_of(in_spatial);
  const std::vector<double> xv = read_doubles(x, node);
  const std::vector<double> gv = read_doubles(grid, node);
  std::vector<double> out(static_cast<size_t>(n * c * out_points), 0.0);

  std::vector<std::vector<Tap>> taps(static_cast<size_t>(r));
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t p = 0; p < out_points; ++p) {
      const double* g = &gv[static_cast<size_t>((b * out_points + p) * r)];
      for (int64_t d = 0; d < r; ++d) {  // spatial dim d is grid component r-1-d
        taps[static_cast<size_t>(d)] = s.taps(g[r - 1 - d], in_spatial[static_cast<size_t>(d)]);
      }
      // Sum over the cartesian product of the per-dim taps.
      std::vector<size_t> k(static_cast<size_t>(r), 0);
      while (true) {
        double w = 1.0;
        int64_t src = 0;
        for (size_t d = 0; d < static_cast<size_t>(r); ++d) {
          const Tap& t = taps[d][k[d]];
          if (t.index < 0) w = 0.0;
          w *= t.weight;
          src += std::max<int64_t>(t.index, 0) * in_strides[d];
        }
        if (w != 0.0) {
          for (int64_t ch = 0; ch < c; ++ch) {
            out[static_cast<size_t>((b * c + ch) * out_points + p)] +=
                w * xv[static_cast<size_t>((b * c + ch) * in_points + src)];
          }
        }
        int64_t d = r - 1;
        for (; d >= 0; --d) {
          if (++k[static_cast<size_t>(d)] < taps[static_cast<size_t>(d)].size()) break;
          k[static_cast<size_t>(d)] = 0;
        }
        if (d < 0) break;
      }
    }
  }
  ctx.set_output(0, make_float_tensor(x.dtype(), out_shape, out, node));
}

}  // namespace

void register_grid_sample(KernelRegistry& registry) {
  registry.add({"GridSample", "", 16, 1 << 20, grid_sample});
}

}  // namespace bog::runtime::ref
