#include "onnx_runtime/providers/reference/kernels/data_movement.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <optional>
#include <type_traits>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::ref {

void fail(const Node& node, std::string_view message) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("{} node '{}': {}", node.op_type, node.name, message));
}

void read_ints(const Tensor& t, const Node& node, std::string_view what, SmallDims& out) {
  out.resize(static_cast<size_t>(t.numel()));
  if (t.dtype() == DType::kInt64) {
    for (int64_t i = 0; i < t.numel(); ++i) out[static_cast<size_t>(i)] = t.data<int64_t>()[i];
  } else if (t.dtype() == DType::kInt32) {
    for (int64_t i = 0; i < t.numel(); ++i) out[static_cast<size_t>(i)] = t.data<int32_t>()[i];
  } else {
    fail(node, fmt::format("{} must be int32 or int64, got {}", what, dtype_name(t.dtype())));
  }
}

std::vector<int64_t> read_ints(const Tensor& t, const Node& node, std::string_view what) {
  SmallDims dims;
  read_ints(t, node, what, dims);
  return std::vector<int64_t>(dims.begin(), dims.end());
}

int64_t read_scalar_int(const Tensor& t, const Node& node, std::string_view what) {
  if (t.numel() != 1) {
    fail(node,
         fmt::format("{} must hold one value, got shape {}", what, shape_to_string(t.shape())));
  }
  SmallDims v;
  read_ints(t, node, what, v);
  return v[0];
}

double element_as_double(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kFloat32:
      return t.data<float>()[i];
    case DType::kFloat64:
      return t.data<double>()[i];
    case DType::kFloat16:
      return to_float(t.data<Float16>()[i]);
    case DType::kBFloat16:
      return to_float(t.data<BFloat16>()[i]);
    case DType::kInt8:
      return t.data<int8_t>()[i];
    case DType::kUint8:
      return t.data<uint8_t>()[i];
    case DType::kInt16:
      return t.data<int16_t>()[i];
    case DType::kUint16:
      return t.data<uint16_t>()[i];
    case DType::kInt32:
      return t.data<int32_t>()[i];
    case DType::kUint32:
      return t.data<uint32_t>()[i];
    case DType::kInt64:
      return static_cast<double>(t.data<int64_t>()[i]);
    case DType::kUint64:
      return static_cast<double>(t.data<uint64_t>()[i]);
    case DType::kBool:
      return t.data<bool>()[i] ? 1.0 : 0.0;
    default:
      throw Error(ErrorCategory::kUnsupported,
                  fmt::format("dtype {} has no numeric value here", dtype_name(t.dtype())));
  }
}

void set_element_from_double(Tensor& t, int64_t i, double v) {
  switch (t.dtype()) {
    case DType::kFloat32:
      t.data<float>()[i] = static_cast<float>(v);
      return;
    case DType::kFloat64:
      t.data<double>()[i] = v;
      return;
    case DType::kFloat16:
      t.data<Float16>()[i] = to_float16(static_cast<float>(v));
      return;
    case DType::kBFloat16:
      t.data<BFloat16>()[i] = to_bfloat16(static_cast<float>(v));
      return;
    case DType::kInt8:
      t.data<int8_t>()[i] = static_cast<int8_t>(v);
      return;
    case DType::kUint8:
      t.data<uint8_t>()[i] = static_cast<uint8_t>(v);
      return;
    case DType::kInt16:
      t.data<int16_t>()[i] = static_cast<int16_t>(v);
      return;
    case DType::kUint16:
      t.data<uint16_t>()[i] = static_cast<uint16_t>(v);
      return;
    case DType::kInt32:
      t.data<int32_t>()[i] = static_cast<int32_t>(v);
      return;
    case DType::kUint32:
      t.data<uint32_t>()[i] = static_cast<uint32_t>(v);
      return;
    case DType::kInt64:
      t.data<int64_t>()[i] = static_cast<int64_t>(v);
      return;
    case DType::kUint64:
      t.data<uint64_t>()[i] = static_cast<uint64_t>(v);
      return;
    case DType::kBool:
      t.data<bool>()[i] = v != 0.0;
      return;
    default:
      throw Error(ErrorCategory::kUnsupported,
                  fmt::format("dtype {} cannot hold a numeric value here", dtype_name(t.dtype())));
  }
}

namespace {
template <class T>
int three_way(T x, T y) {
  if constexpr (std::is_floating_point_v<T>) {
    const bool xn = std::isnan(x);
    const bool yn = std::isnan(y);
    if (xn || yn) return xn == yn ? 0 : (xn ? 1 : -1);
  }
  return x < y ? -1 : (y < x ? 1 : 0);
}
}  // namespace

int compare_elements(const Tensor& a, int64_t i, const Tensor& b, int64_t j) {
  switch (a.dtype()) {
    case DType::kString:
      return three_way(a.strings()[static_cast<size_t>(i)], b.strings()[static_cast<size_t>(j)]);
    case DType::kFloat32:
      return three_way(a.data<float>()[i], b.data<float>()[j]);
    case DType::kFloat64:
      return three_way(a.data<double>()[i], b.data<double>()[j]);
    case DType::kInt8:
      return three_way(a.data<int8_t>()[i], b.data<int8_t>()[j]);
    case DType::kUint8:
      return three_way(a.data<uint8_t>()[i], b.data<uint8_t>()[j]);
    case DType::kInt16:
      return three_way(a.data<int16_t>()[i], b.data<int16_t>()[j]);
    case DType::kUint16:
      return three_way(a.data<uint16_t>()[i], b.data<uint16_t>()[j]);
    case DType::kInt32:
      return three_way(a.data<int32_t>()[i], b.data<int32_t>()[j]);
    case DType::kUint32:
      return three_way(a.data<uint32_t>()[i], b.data<uint32_t>()[j]);
    case DType::kInt64:
      return three_way(a.data<int64_t>()[i], b.data<int64_t>()[j]);
    case DType::kUint64:
      return three_way(a.data<uint64_t>()[i], b.data<uint64_t>()[j]);
    case DType::kBool:
      return three_way(a.data<bool>()[i], b.data<bool>()[j]);
    case DType::kFloat16:
    case DType::kBFloat16:
      return three_way(element_as_double(a, i), element_as_double(b, j));
    default:
      throw Error(ErrorCategory::kUnsupported,
                  fmt::format("dtype {} cannot be compared here", dtype_name(a.dtype())));
  }
}

ElementCopier::ElementCopier(const Tensor& src, Tensor& dst)
    : src_(src),
      dst_(dst),
      size_(dtype_size(src.dtype())),
      strings_(src.dtype() == DType::kString) {
  if (src.dtype() != dst.dtype()) {
    throw Error(ErrorCategory::kInternal,
                fmt::format("element copy between {} and {}", dtype_name(src.dtype()),
                            dtype_name(dst.dtype())));
  }
  if (!strings_ && size_ == 0) {
    throw Error(
        ErrorCategory::kUnsupported,
        fmt::format("dtype {} cannot be moved by the reference kernels", dtype_name(src.dtype())));
  }
}

void ElementCopier::operator()(int64_t dst_i, int64_t src_i) const {
  if (strings_) {
    dst_.strings()[static_cast<size_t>(dst_i)] = src_.strings()[static_cast<size_t>(src_i)];
    return;
  }
  std::memcpy(static_cast<char*>(dst_.raw()) + static_cast<size_t>(dst_i) * size_,
              static_cast<const char*>(src_.raw()) + static_cast<size_t>(src_i) * size_, size_);
}

Tensor gather_by_map(const Tensor& src, Shape shape, const std::vector<int64_t>& map,
                     const Tensor* fill) {
  Tensor out(src.dtype(), std::move(shape));
  const ElementCopier copy(src, out);
  std::optional<ElementCopier> copy_fill;
  if (fill != nullptr) copy_fill.emplace(*fill, out);
  for (int64_t i = 0; i < out.numel(); ++i) {
    const int64_t src_i = map[static_cast<size_t>(i)];
    if (src_i >= 0) {
      copy(i, src_i);
    } else if (copy_fill) {
      (*copy_fill)(i, 0);
    }
  }
  return out;
}

Tensor strided_copy(const Tensor& in, const Shape& shape, int64_t base,
                    const std::vector<int64_t>& steps) {
  const size_t rank = shape.size();
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  if (in.dtype() == DType::kString || rank == 0 || n == 0) {
    std::vector<int64_t> map;
    map.reserve(static_cast<size_t>(std::max<int64_t>(0, n)));
    for_each_index(shape, [&](const std::vector<int64_t>& idx) {
      int64_t src = base;
      for (size_t k = 0; k < rank; ++k) src += idx[k] * steps[k];
      map.push_back(src);
    });
    return gather_by_map(in, shape, map);
  }
  Tensor out(in.dtype(), shape);
  const size_t esize = dtype_size(in.dtype());
  const auto* src = static_cast<const unsigned char*>(in.raw());
  auto* dst = static_cast<unsigned char*>(out.raw());
  const int64_t inner = shape.back();
  const int64_t inner_step = steps.back();
  const int64_t outer = n / inner;
  std::vector<int64_t> idx(rank - 1, 0);  // odometer over every axis but the last
  int64_t offset = base;                  // element offset of the current row's first element
  for (int64_t row = 0; row < outer; ++row) {
    if (inner_step == 1) {
      std::memcpy(dst, src + offset * static_cast<int64_t>(esize),
                  static_cast<size_t>(inner) * esize);
      dst += static_cast<size_t>(inner) * esize;
    } else {
      for (int64_t c = 0; c < inner; ++c, dst += esize) {
        std::memcpy(dst, src + (offset + c * inner_step) * static_cast<int64_t>(esize), esize);
      }
    }
    for (size_t k = rank - 1; k-- > 0;) {  // advance the odometer, updating the offset
      offset += steps[k];
      if (++idx[k] < shape[k]) break;
      offset -= steps[k] * shape[k];
      idx[k] = 0;
    }
  }
  return out;
}

Tensor permute(const Tensor& in, const std::vector<int64_t>& perm) {
  const size_t rank = perm.size();
  const std::vector<int64_t> in_strides = strides_of(in.shape());
  Shape out_shape(rank);
  std::vector<int64_t> step(rank);  // input stride walked by each output axis
  for (size_t k = 0; k < rank; ++k) {
    out_shape[k] = in.shape()[static_cast<size_t>(perm[k])];
    step[k] = in_strides[static_cast<size_t>(perm[k])];
  }
  return strided_copy(in, out_shape, 0, step);
}

}  // namespace bog::runtime::ref
