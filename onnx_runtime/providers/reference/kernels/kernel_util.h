// Small helpers shared by the reference kernels: axis handling, strides, broadcasting and
// dtype dispatch. Plain and obviously correct, like the kernels that use them.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "common/error.h"
#include "onnx_runtime/kernel.h"
#include "onnx_runtime/providers/reference/kernels/small_dims.h"
#include "onnx_runtime/tensor.h"

namespace bog::runtime::ref {

// Maps a possibly negative axis into [0, rank); Error(kInvalidModel) when out of range.
inline int64_t normalize_axis(int64_t axis, int64_t rank, const Node& node) {
  if (axis < -rank || axis >= (rank == 0 ? 1 : rank)) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': axis {} out of range for rank {}", node.op_type,
                            node.name, axis, rank));
  }
  return axis < 0 ? axis + rank : axis;
}

// Row-major strides in elements.
inline std::vector<int64_t> strides_of(std::span<const int64_t> shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i) {
    s[static_cast<size_t>(i)] = s[static_cast<size_t>(i) + 1] * shape[static_cast<size_t>(i) + 1];
  }
  return s;
}

// Numpy-style multidirectional broadcast of several shapes into `out`.
inline void broadcast_dims(std::initializer_list<std::span<const int64_t>> shapes, const Node& node,
                           SmallDims& out) {
  size_t rank = 0;
  for (const auto s : shapes) rank = std::max(rank, s.size());
  out.assign(rank, 1);
  for (const auto s : shapes) {
    const size_t off = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      const int64_t d = s[i];
      int64_t& o = out[off + i];
      if (d == o || d == 1) continue;
      if (o == 1) {
        o = d;
        continue;
      }
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("{} node '{}': shapes cannot broadcast (dim {} vs {})",
                              node.op_type, node.name, o, d));
    }
  }
}

// The same as a Shape, for any number of inputs.
inline Shape broadcast_shapes(const std::vector<const Shape*>& shapes, const Node& node) {
  SmallDims acc;
  for (const Shape* s : shapes) {
    const SmallDims prev(acc.span());
    broadcast_dims({prev.span(), std::span<const int64_t>(*s)}, node, acc);
  }
  return Shape(acc.begin(), acc.end());
}

// For each element of `out_shape`, the flat index into a tensor of `in_shape` that broadcasts
// to it. Precomputed once per call; kernels then loop over plain integer arrays.
inline std::vector<int64_t> broadcast_index_map(const Shape& in_shape, const Shape& out_shape) {
  const size_t rank = out_shape.size();
  const size_t off = rank - in_shape.size();
  std::vector<int64_t> in_strides(rank, 0);
  const std::vector<int64_t> s = strides_of(in_shape);
  for (size_t i = 0; i < in_shape.size(); ++i) {
    in_strides[off + i] = in_shape[i] == 1 ? 0 : s[i];
  }
  int64_t n = 1;
  for (const int64_t d : out_shape) n *= d;
  std::vector<int64_t> map(static_cast<size_t>(n));
  std::vector<int64_t> idx(rank, 0);
  for (int64_t flat = 0; flat < n; ++flat) {
    int64_t src = 0;
    for (size_t a = 0; a < rank; ++a) src += idx[a] * in_strides[a];
    map[static_cast<size_t>(flat)] = src;
    for (int64_t a = static_cast<int64_t>(rank) - 1; a >= 0; --a) {
      if (++idx[static_cast<size_t>(a)] < out_shape[static_cast<size_t>(a)]) break;
      idx[static_cast<size_t>(a)] = 0;
    }
  }
  return map;
}

[[noreturn]] inline void unsupported_dtype(const Node& node, DType dtype) {
  throw Error(ErrorCategory::kUnsupported,
              fmt::format("{} node '{}': dtype {} not supported by the reference kernel",
                          node.op_type, node.name, dtype_name(dtype)));
}

// Calls f(T{}) with the C++ type for `dtype` among the plain numeric types; other dtypes are
// kUnsupported. Float16/BFloat16 are not included: kernels that support them convert to float.
template <class F>
void dispatch_numeric(DType dtype, const Node& node, F&& f) {
  switch (dtype) {
    case DType::kFloat32: f(float{}); return;
    case DType::kFloat64: f(double{}); return;
    case DType::kInt8: f(int8_t{}); return;
    case DType::kUint8: f(uint8_t{}); return;
    case DType::kInt16: f(int16_t{}); return;
    case DType::kUint16: f(uint16_t{}); return;
    case DType::kInt32: f(int32_t{}); return;
    case DType::kUint32: f(uint32_t{}); return;
    case DType::kInt64: f(int64_t{}); return;
    case DType::kUint64: f(uint64_t{}); return;
    default: unsupported_dtype(node, dtype);
  }
}

// Same, for float32 and float64 only.
template <class F>
void dispatch_float(DType dtype, const Node& node, F&& f) {
  switch (dtype) {
    case DType::kFloat32: f(float{}); return;
    case DType::kFloat64: f(double{}); return;
    default: unsupported_dtype(node, dtype);
  }
}

// Converts float16/bfloat16 tensors to float32 and back, so float kernels cover them.
Tensor to_float32(const Tensor& t);
Tensor from_float32(const Tensor& t, DType target);

}  // namespace bog::runtime::ref
