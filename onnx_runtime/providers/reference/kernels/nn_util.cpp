#include "onnx_runtime/providers/reference/kernels/nn_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::ref {

bool is_real_dtype(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kFloat64 || dtype == DType::kFloat16 ||
         dtype == DType::kBFloat16;
}

void require_real(const Tensor& t, const Node& node) {
  if (!is_real_dtype(t.dtype())) unsupported_dtype(node, t.dtype());
}

namespace {

template <class T, class Out>
void widen_all(const Tensor& t, std::vector<Out>& out) {
  const T* p = t.data<T>();
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<Out>(p[i]);
}

}  // namespace

std::vector<double> to_doubles(const Tensor& t) {
  std::vector<double> out(static_cast<size_t>(t.numel()));
  switch (t.dtype()) {
    case DType::kFloat16:
      for (size_t i = 0; i < out.size(); ++i) out[i] = to_float(t.data<Float16>()[i]);
      return out;
    case DType::kBFloat16:
      for (size_t i = 0; i < out.size(); ++i) out[i] = to_float(t.data<BFloat16>()[i]);
      return out;
    case DType::kBool:
      widen_all<bool>(t, out);
      return out;
    case DType::kFloat32:
      widen_all<float>(t, out);
      return out;
    case DType::kFloat64:
      widen_all<double>(t, out);
      return out;
    case DType::kInt8:
      widen_all<int8_t>(t, out);
      return out;
    case DType::kUint8:
      widen_all<uint8_t>(t, out);
      return out;
    case DType::kInt16:
      widen_all<int16_t>(t, out);
      return out;
    case DType::kUint16:
      widen_all<uint16_t>(t, out);
      return out;
    case DType::kInt32:
      widen_all<int32_t>(t, out);
      return out;
    case DType::kUint32:
      widen_all<uint32_t>(t, out);
      return out;
    case DType::kInt64:
      widen_all<int64_t>(t, out);
      return out;
    case DType::kUint64:
      widen_all<uint64_t>(t, out);
      return out;
    default:
      throw Error(ErrorCategory::kUnsupported,
                  fmt::format("cannot read {} elements as numbers", dtype_name(t.dtype())));
  }
}

std::vector<int64_t> to_int64s(const Tensor& t) {
  std::vector<int64_t> out(static_cast<size_t>(t.numel()));
  switch (t.dtype()) {
    case DType::kBool:
      widen_all<bool>(t, out);
      return out;
    case DType::kInt8:
      widen_all<int8_t>(t, out);
      return out;
    case DType::kUint8:
      widen_all<uint8_t>(t, out);
      return out;
    case DType::kInt16:
      widen_all<int16_t>(t, out);
      return out;
    case DType::kUint16:
      widen_all<uint16_t>(t, out);
      return out;
    case DType::kInt32:
      widen_all<int32_t>(t, out);
      return out;
    case DType::kUint32:
      widen_all<uint32_t>(t, out);
      return out;
    case DType::kInt64:
      widen_all<int64_t>(t, out);
      return out;
    case DType::kUint64:
      widen_all<uint64_t>(t, out);
      return out;
    default:
      throw Error(ErrorCategory::kUnsupported,
                  fmt::format("cannot read {} elements as integers", dtype_name(t.dtype())));
  }
}

namespace {

template <class T, class In>
void narrow_all(std::span<const In> values, Tensor& out) {
  T* p = out.data<T>();
  for (size_t i = 0; i < values.size(); ++i) {
    if constexpr (std::is_integral_v<T> && std::is_floating_point_v<In>) {
      // A float outside T's range (or NaN) has no defined conversion (found by the fuzz target
      // as -inf stored to uint8): saturate, NaN to 0.
      const In v = values[i];
      if (std::isnan(v)) {
        p[i] = T{0};
      } else if (v <= static_cast<In>(std::numeric_limits<T>::lowest())) {
        p[i] = std::numeric_limits<T>::lowest();
      } else if (v >= static_cast<In>(std::numeric_limits<T>::max())) {
        p[i] = std::numeric_limits<T>::max();
      } else {
        p[i] = static_cast<T>(v);
      }
    } else {
      p[i] = static_cast<T>(values[i]);
    }
  }
}

template <class In>
void store_any(std::span<const In> values, Tensor& out) {
  if (static_cast<int64_t>(values.size()) != out.numel()) {
    throw Error(ErrorCategory::kInternal,
                fmt::format("store: {} values for a tensor of {}", values.size(), out.numel()));
  }
  switch (out.dtype()) {
    case DType::kFloat16:
      for (size_t i = 0; i < values.size(); ++i) {
        out.data<Float16>()[i] = to_float16(static_cast<float>(values[i]));
      }
      return;
    case DType::kBFloat16:
      for (size_t i = 0; i < values.size(); ++i) {
        out.data<BFloat16>()[i] = to_bfloat16(static_cast<float>(values[i]));
      }
      return;
    case DType::kBool:
      for (size_t i = 0; i < values.size(); ++i) out.data<bool>()[i] = values[i] != In{0};
      return;
    case DType::kFloat32:
      narrow_all<float>(values, out);
      return;
    case DType::kFloat64:
      narrow_all<double>(values, out);
      return;
    case DType::kInt8:
      narrow_all<int8_t>(values, out);
      return;
    case DType::kUint8:
      narrow_all<uint8_t>(values, out);
      return;
    case DType::kInt16:
      narrow_all<int16_t>(values, out);
      return;
    case DType::kUint16:
      narrow_all<uint16_t>(values, out);
      return;
    case DType::kInt32:
      narrow_all<int32_t>(values, out);
      return;
    case DType::kUint32:
      narrow_all<uint32_t>(values, out);
      return;
    case DType::kInt64:
      narrow_all<int64_t>(values, out);
      return;
    case DType::kUint64:
      narrow_all<uint64_t>(values, out);
      return;
    default:
      throw Error(ErrorCategory::kUnsupported,
                  fmt::format("cannot write numbers as {}", dtype_name(out.dtype())));
  }
}

}  // namespace

void store_doubles(std::span<const double> values, Tensor& out) { store_any(values, out); }
void store_int64s(std::span<const int64_t> values, Tensor& out) { store_any(values, out); }

int64_t dims_product(std::span<const int64_t> shape, size_t from, size_t to) {
  int64_t n = 1;
  for (size_t i = from; i < to && i < shape.size(); ++i) n *= shape[i];
  return n;
}

ReductionPlan plan_reduction(const Shape& in_shape, const std::vector<bool>& reduced,
                             bool keepdims) {
  const std::vector<int64_t> strides = strides_of(in_shape);
  Shape kept_dims;
  std::vector<int64_t> kept_strides;
  Shape red_dims;
  std::vector<int64_t> red_strides;
  ReductionPlan plan;
  for (size_t a = 0; a < in_shape.size(); ++a) {
    if (reduced[a]) {
      red_dims.push_back(in_shape[a]);
      red_strides.push_back(strides[a]);
      if (keepdims) plan.out_shape.push_back(1);
    } else {
      kept_dims.push_back(in_shape[a]);
      kept_strides.push_back(strides[a]);
      plan.out_shape.push_back(in_shape[a]);
    }
  }
  const auto offsets_of = [](const Shape& dims, const std::vector<int64_t>& st) {
    std::vector<int64_t> out;
    if (dims_product(dims, 0, dims.size()) == 0) return out;
    std::vector<int64_t> idx(dims.size(), 0);
    do {
      int64_t off = 0;
      for (size_t i = 0; i < dims.size(); ++i) off += idx[i] * st[i];
      out.push_back(off);
    } while (next_index(idx, dims));
    return out;
  };
  plan.bases = offsets_of(kept_dims, kept_strides);
  plan.offsets = offsets_of(red_dims, red_strides);
  return plan;
}

bool next_index(std::vector<int64_t>& index, std::span<const int64_t> shape) {
  for (size_t a = index.size(); a-- > 0;) {
    if (++index[a] < shape[a]) return true;
    index[a] = 0;
  }
  return false;
}

std::vector<double> broadcast_to(const Tensor& t, const Shape& target, const Node& node) {
  if (t.rank() > static_cast<int64_t>(target.size()) ||
      broadcast_shapes({&t.shape(), &target}, node) != target) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': shape {} does not broadcast to {}", node.op_type,
                            node.name, shape_to_string(t.shape()), shape_to_string(target)));
  }
  const std::vector<double> v = to_doubles(t);
  const std::vector<int64_t> map = broadcast_index_map(t.shape(), target);
  std::vector<double> out(map.size());
  for (size_t i = 0; i < map.size(); ++i) out[i] = v[static_cast<size_t>(map[i])];
  return out;
}

WindowGeometry window_geometry(const Node& node, const Shape& in_spatial, const Shape& kernel,
                               bool ceil_mode, bool use_dilations) {
  const size_t rank = in_spatial.size();
  WindowGeometry g;
  g.in = in_spatial;
  g.kernel = kernel;
  g.strides = node.attr_ints("strides", Shape(rank, 1));
  g.dilations = use_dilations ? node.attr_ints("dilations", Shape(rank, 1)) : Shape(rank, 1);
  Shape pads = node.attr_ints("pads", Shape(2 * rank, 0));
  std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (kernel.size() != rank || g.strides.size() != rank || g.dilations.size() != rank ||
      pads.size() != 2 * rank) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': kernel/strides/dilations/pads do not match {} spatial "
                            "dims",
                            node.op_type, node.name, rank));
  }
  for (size_t i = 0; i < rank; ++i) {
    if (kernel[i] <= 0 || g.strides[i] <= 0 || g.dilations[i] <= 0 || pads[i] < 0 ||
        pads[rank + i] < 0) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("{} node '{}': kernel, strides and dilations must be positive and "
                              "pads non-negative",
                              node.op_type, node.name));
    }
  }
  g.pads_begin.assign(pads.begin(), pads.begin() + static_cast<int64_t>(rank));
  g.pads_end.assign(pads.begin() + static_cast<int64_t>(rank), pads.end());
  g.out.resize(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t in = in_spatial[i];
    const int64_t s = g.strides[i];
    const int64_t span = (kernel[i] - 1) * g.dilations[i] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      g.out[i] = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (g.out[i] - 1) * s + span - in);
      const int64_t small = total / 2;
      g.pads_begin[i] = auto_pad == "SAME_UPPER" ? small : total - small;
      g.pads_end[i] = total - g.pads_begin[i];
      continue;
    }
    if (auto_pad == "VALID") {
      g.pads_begin[i] = 0;
      g.pads_end[i] = 0;
    } else if (auto_pad != "NOTSET") {
      throw Error(ErrorCategory::kInvalidModel, fmt::format("{} node '{}': unknown auto_pad '{}'",
                                                            node.op_type, node.name, auto_pad));
    }
    const int64_t room = in + g.pads_begin[i] + g.pads_end[i] - span;
    if (room < 0) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("{} node '{}': window of {} does not fit input {} with pads",
                              node.op_type, node.name, span, in));
    }
    g.out[i] = (ceil_mode ? (room + s - 1) / s : room / s) + 1;
    // A window may not start in the end padding (it would see padding only).
    if (ceil_mode && (g.out[i] - 1) * s >= in + g.pads_begin[i]) --g.out[i];
  }
  return g;
}

std::vector<int64_t> read_int_list(const Tensor& t, const Node& node) {
  if (t.dtype() != DType::kInt64 && t.dtype() != DType::kInt32) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': expected an int32/int64 list, got {}", node.op_type,
                            node.name, dtype_name(t.dtype())));
  }
  return to_int64s(t);
}

}  // namespace bog::runtime::ref
