// Resize (opset 11+): nearest / linear / cubic sampling of an N-D tensor. Each resized axis
// gets, per output position, a short list of (input index, weight) taps; an output element
// is the sum over the product of its axes' taps. Covers every coordinate_transformation_mode,
// nearest_mode, cubic_coeff_a, exclude_outside, antialias (a widened kernel when shrinking),
// axes, keep_aspect_ratio_policy, and scales vs sizes.
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
  throw Error(ErrorCategory::kInvalidModel, fmt::format("Resize node '{}': {}", node.name, what));
}

struct Tap {
  int64_t index;
  double weight;
};

// The taps of one output position; `outside` marks tf_crop_and_resize extrapolation.
struct Taps {
  std::vector<Tap> taps;
  bool outside = false;
};

struct Options {
  std::string mode, transform, nearest_mode;
  double cubic_a = -0.75;
  bool exclude_outside = false, antialias = false;
};

// Output coordinate -> input coordinate, per coordinate_transformation_mode.
double to_input_coord(const Options& o, double x, double scale, int64_t in_len, int64_t out_len,
                      double roi_start, double roi_end, const Node& node) {
  const std::string& t = o.transform;
  if (t == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (t == "half_pixel_symmetric") {
    const double adjustment = static_cast<double>(out_len) / (scale * static_cast<double>(in_len));
    const double center = static_cast<double>(in_len) / 2.0;
    return center * (1.0 - adjustment) + (x + 0.5) / scale - 0.5;
  }
  if (t == "pytorch_half_pixel") return out_len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (t == "align_corners") {
    // The resized length here is scale * in_len, not its floor (as the ONNX reference does).
    const double resized = scale * static_cast<double>(in_len);
    return out_len == 1 ? 0.0 : x * static_cast<double>(in_len - 1) / (resized - 1.0);
  }
  if (t == "asymmetric") return x / scale;
  if (t == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  if (t == "tf_crop_and_resize") {
    const double span = static_cast<double>(in_len - 1);
    return out_len > 1 ? roi_start * span +
                             x * (roi_end - roi_start) * span / static_cast<double>(out_len - 1)
                       : 0.5 * (roi_start + roi_end) * span;
  }
  bad(node, fmt::format("unknown coordinate_transformation_mode '{}'", t));
}

int64_t nearest_index(const Options& o, double x, const Node& node) {
  const std::string& m = o.nearest_mode;
  const double fl = std::floor(x);
  const bool half = x - fl == 0.5;
  if (m == "round_prefer_floor") return static_cast<int64_t>(half ? fl : std::round(x));
  if (m == "round_prefer_ceil") return static_cast<int64_t>(half ? fl + 1 : std::round(x));
  if (m == "floor") return static_cast<int64_t>(fl);
  if (m == "ceil") return static_cast<int64_t>(std::ceil(x));
  bad(node, fmt::format("unknown nearest_mode '{}'", m));
}

double cubic_kernel(double x, double a) {
  x = std::fabs(x);
  if (x <= 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
  return 0.0;
}

// Taps for input coordinate x. Linear and cubic use the points around floor(x); with
// antialias and scale < 1 the kernel is stretched by 1/scale. Indices outside the input are
// clamped (edge padding) or, with exclude_outside, dropped and the rest renormalized.
Taps interpolation_taps(const Options& o, double x, double scale, int64_t in_len) {
  Taps r;
  const double base = std::floor(x);
  const double ratio = x - base;
  const bool linear = o.mode == "linear";
  const double s = o.antialias ? std::min(scale, 1.0) : 1.0;
  const double support = (linear ? 1.0 : 2.0) / s;
  // Offsets j (relative to floor(x)) whose distance |j - ratio| * s lies inside the kernel.
  const int64_t first = static_cast<int64_t>(std::floor(ratio - support)) + 1;
  const int64_t last = static_cast<int64_t>(std::ceil(ratio + support)) - 1;
  double total = 0.0;
  for (int64_t j = first; j <= last; ++j) {
    const double d = (static_cast<double>(j) - ratio) * s;
    const double w = linear ? std::max(0.0, 1.0 - std::fabs(d)) : cubic_kernel(d, o.cubic_a);
    const int64_t idx = static_cast<int64_t>(base) + j;
    if (o.exclude_outside && (idx < 0 || idx >= in_len)) continue;
    if (w == 0.0) continue;
    r.taps.push_back({std::clamp<int64_t>(idx, 0, in_len - 1), w});
    total += w;
  }
  // The plain (non-antialiased, all-inside) kernels already sum to one; normalizing is exact
  // for them and needed for the stretched or truncated ones.
  if (total != 0.0) {
    for (Tap& t : r.taps) t.weight /= total;
  }
  return r;
}

void resize(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const int64_t rank = x.rank();
  Options o;
  o.mode = node.attr_string("mode", "nearest");
  o.transform = node.attr_string("coordinate_transformation_mode", "half_pixel");
  o.nearest_mode = node.attr_string("nearest_mode", "round_prefer_floor");
  o.cubic_a = node.attr_float("cubic_coeff_a", -0.75f);
  o.exclude_outside = node.attr_int("exclude_outside", 0) != 0;
  o.antialias = node.attr_int("antialias", 0) != 0;
  const double extrapolation = node.attr_float("extrapolation_value", 0.0f);
  const std::string policy = node.attr_string("keep_aspect_ratio_policy", "stretch");
  if (o.mode != "nearest" && o.mode != "linear" && o.mode != "cubic") {
    bad(node, fmt::format("unknown mode '{}'", o.mode));
  }
  if (!is_float_family(x.dtype()) && o.mode != "nearest") unsupported_dtype(node, x.dtype());

  std::vector<int64_t> axes = node.attr_ints("axes");
  if (axes.empty()) {
    for (int64_t a = 0; a < rank; ++a) axes.push_back(a);
  }
  for (int64_t& a : axes) a = normalize_axis(a, rank, node);

  // Per-axis scale and output length (axes not listed keep scale 1).
  std::vector<double> scale(static_cast<size_t>(rank), 1.0);
  Shape out_shape = x.shape();
  const bool has_scales = ctx.has_input(2) && ctx.input(2).numel() > 0;
  const bool has_sizes = ctx.has_input(3) && ctx.input(3).numel() > 0;
  if (has_scales == has_sizes) bad(node, "exactly one of scales and sizes must be given");
  // An output length computed from a scale: finite, non-negative and far from int64 overflow
  // (a NaN from a 0-length axis or a negative size would otherwise size the taps wrongly).
  const auto output_length = [&](double v) {
    if (!(v >= 0.0) || v > 1e15) bad(node, fmt::format("output size {} is out of range", v));
    return static_cast<int64_t>(v);
  };
  if (has_scales) {
    const std::vector<double> sc = read_doubles(ctx.input(2), node);
    if (sc.size() != axes.size()) {
      bad(node, fmt::format("{} scales for {} axes", sc.size(), axes.size()));
    }
    for (size_t i = 0; i < axes.size(); ++i) {
      const size_t a = static_cast<size_t>(axes[i]);
      if (!(sc[i] > 0.0)) bad(node, fmt::format("scale {} is not positive", sc[i]));
      scale[a] = sc[i];
      out_shape[a] = output_length(std::floor(static_cast<double>(x.dim(axes[i])) * sc[i]));
    }
  } else {
    const Tensor& sizes_t = ctx.input(3);
    if (sizes_t.dtype() != DType::kInt64) unsupported_dtype(node, sizes_t.dtype());
    if (sizes_t.numel() != static_cast<int64_t>(axes.size())) {
      bad(node, fmt::format("{} sizes for {} axes", sizes_t.numel(), axes.size()));
    }
    const int64_t* sizes = sizes_t.data<int64_t>();
    if (policy == "stretch") {
      for (size_t i = 0; i < axes.size(); ++i) {
        const size_t a = static_cast<size_t>(axes[i]);
        if (sizes[i] < 0) bad(node, "negative size");
        out_shape[a] = sizes[i];
        scale[a] = static_cast<double>(sizes[i]) / static_cast<double>(x.dim(axes[i]));
      }
    } else if (policy == "not_larger" || policy == "not_smaller") {
      // One scale for all listed axes, the largest (smallest) that fits inside (covers) sizes.
      double s = policy == "not_larger" ? INFINITY : 0.0;
      for (size_t i = 0; i < axes.size(); ++i) {
        if (sizes[i] < 0) bad(node, "negative size");
        const double r = static_cast<double>(sizes[i]) / static_cast<double>(x.dim(axes[i]));
        s = policy == "not_larger" ? std::min(s, r) : std::max(s, r);
      }
      for (const int64_t a : axes) {
        scale[static_cast<size_t>(a)] = s;
        out_shape[static_cast<size_t>(a)] =
            output_length(std::floor(s * static_cast<double>(x.dim(a)) + 0.5));
      }
    } else {
      bad(node, fmt::format("unknown keep_aspect_ratio_policy '{}'", policy));
    }
  }

  // roi: starts then ends, for all dims or for `axes`; only tf_crop_and_resize reads it.
  std::vector<double> roi_start(static_cast<size_t>(rank), 0.0),
      roi_end(static_cast<size_t>(rank), 1.0);
  if (o.transform == "tf_crop_and_resize") {
    if (!ctx.has_input(1)) bad(node, "tf_crop_and_resize needs roi");
    const std::vector<double> roi = read_numeric_as_doubles(ctx.input(1), node);
    if (roi.size() == 2 * static_cast<size_t>(rank)) {
      for (int64_t a = 0; a < rank; ++a) {
        roi_start[static_cast<size_t>(a)] = roi[static_cast<size_t>(a)];
        roi_end[static_cast<size_t>(a)] = roi[static_cast<size_t>(rank + a)];
      }
    } else if (roi.size() == 2 * axes.size()) {
      for (size_t i = 0; i < axes.size(); ++i) {
        roi_start[static_cast<size_t>(axes[i])] = roi[i];
        roi_end[static_cast<size_t>(axes[i])] = roi[axes.size() + i];
      }
    } else {
      bad(node, fmt::format("roi has {} values, expected {}", roi.size(), 2 * axes.size()));
    }
  }

  // Taps for every axis and output position.
  std::vector<std::vector<Taps>> taps(static_cast<size_t>(rank));
  for (int64_t a = 0; a < rank; ++a) {
    const size_t ua = static_cast<size_t>(a);
    const int64_t in_len = x.dim(a), out_len = out_shape[ua];
    if (out_len > 0 && in_len == 0) bad(node, "cannot resize an empty axis to a non-empty one");
    for (int64_t p = 0; p < out_len; ++p) {
      Taps t;
      if (scale[ua] == 1.0 && out_len == in_len && o.transform != "tf_crop_and_resize") {
        t.taps.push_back({p, 1.0});  // an untouched axis
      } else {
        const double c = to_input_coord(o, static_cast<double>(p), scale[ua], in_len, out_len,
                                        roi_start[ua], roi_end[ua], node);
        if (o.transform == "tf_crop_and_resize" &&
            (c < 0.0 || c > static_cast<double>(in_len - 1))) {
          t.outside = true;
        } else if (o.mode == "nearest") {
          t.taps.push_back({std::clamp<int64_t>(nearest_index(o, c, node), 0, in_len - 1), 1.0});
        } else {
          t = interpolation_taps(o, c, scale[ua], in_len);
        }
      }
      taps[ua].push_back(std::move(t));
    }
  }

  const std::vector<double> in = read_numeric_as_doubles(x, node);
  const std::vector<int64_t> in_strides = strides_of(x.shape());
  int64_t n_out = 1;
  for (const int64_t d : out_shape) n_out *= d;
  std::vector<double> out(static_cast<size_t>(n_out));
  std::vector<int64_t> pos(static_cast<size_t>(rank), 0);
  for (int64_t flat = 0; flat < n_out; ++flat) {
    bool outside = false;
    for (int64_t a = 0; a < rank; ++a) {
      outside =
          outside ||
          taps[static_cast<size_t>(a)][static_cast<size_t>(pos[static_cast<size_t>(a)])].outside;
    }
    double acc = 0.0;
    if (outside) {
      acc = extrapolation;
    } else {
      // Walk the cartesian product of the axes' taps with an odometer.
      std::vector<size_t> k(static_cast<size_t>(rank), 0);
      while (true) {
        double w = 1.0;
        int64_t src = 0;
        for (size_t a = 0; a < static_cast<size_t>(rank); ++a) {
          const Tap& t = taps[a][static_cast<size_t>(pos[a])].taps[k[a]];
          w *= t.weight;
          src += t.index * in_strides[a];
        }
        acc += w * in[static_cast<size_t>(src)];
        int64_t a = rank - 1;
        for (; a >= 0; --a) {
          const size_t ua = static_cast<size_t>(a);
          if (++k[ua] < taps[ua][static_cast<size_t>(pos[ua])].taps.size()) break;
          k[ua] = 0;
        }
        if (a < 0) break;
      }
    }
    out[static_cast<size_t>(flat)] = acc;
    for (int64_t a = rank - 1; a >= 0; --a) {
      if (++pos[static_cast<size_t>(a)] < out_shape[static_cast<size_t>(a)]) break;
      pos[static_cast<size_t>(a)] = 0;
    }
  }

  if (is_float_family(x.dtype())) {
    ctx.set_output(0, make_float_tensor(x.dtype(), out_shape, out, node));
    return;
  }
  Tensor& y = ctx.allocate_output(0, x.dtype(), out_shape);
  dispatch_numeric(x.dtype(), node, [&](auto zero) {
    using T = decltype(zero);
    for (int64_t i = 0; i < n_out; ++i)
      y.data<T>()[i] = static_cast<T>(out[static_cast<size_t>(i)]);
  });
}

}  // namespace

void register_resize(KernelRegistry& registry) {
  registry.add({"Resize", "", 11, 1 << 20, resize});
}

}  // namespace bog::runtime::ref
