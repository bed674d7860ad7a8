// Axis slicing, stacking and concatenation for the control-flow kernels: byte copies of
// contiguous blocks (strings copied element by element).
#include <fmt/format.h>

#include <cstring>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/control_flow_kernels.h"

namespace bog::runtime::ref::cf {
namespace {

int64_t product(const Shape& s, size_t begin, size_t end) {
  int64_t n = 1;
  for (size_t i = begin; i < end; ++i) n *= s[i];
  return n;
}

// Copies `count` elements from src[src_off] to dst[dst_off] (element offsets).
void copy_elements(const Tensor& src, int64_t src_off, Tensor& dst, int64_t dst_off,
                   int64_t count) {
  if (count <= 0) return;
  if (src.dtype() == DType::kString) {
    for (int64_t i = 0; i < count; ++i) {
      dst.strings()[static_cast<size_t>(dst_off + i)] =
          src.strings()[static_cast<size_t>(src_off + i)];
    }
    return;
  }
  const size_t es = dtype_size(src.dtype());
  std::memcpy(static_cast<char*>(dst.raw()) + static_cast<size_t>(dst_off) * es,
              static_cast<const char*>(src.raw()) + static_cast<size_t>(src_off) * es,
              static_cast<size_t>(count) * es);
}

}  // namespace

void fail(const Node& node, std::string_view what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("{} node '{}': {}", node.op_type, node.name, what));
}

bool read_bool_scalar(const Tensor& t, const Node& node, std::string_view what) {
  if (t.dtype() != DType::kBool || t.numel() != 1) {
    fail(node, fmt::format("{} must be a one-element bool tensor, got {}{}", what,
                           dtype_name(t.dtype()), shape_to_string(t.shape())));
  }
  return t.data<uint8_t>()[0] != 0;
}

int64_t read_int_scalar(const Tensor& t, const Node& node, std::string_view what) {
  if (t.numel() != 1) {
    fail(node,
         fmt::format("{} must have one element, got shape {}", what, shape_to_string(t.shape())));
  }
  if (t.dtype() == DType::kInt64) return t.data<int64_t>()[0];
  if (t.dtype() == DType::kInt32) return t.data<int32_t>()[0];
  fail(node, fmt::format("{} must be int32 or int64, got {}", what, dtype_name(t.dtype())));
}

Tensor take_range(const Tensor& t, int64_t axis, int64_t start, int64_t length) {
  const Shape& s = t.shape();
  const auto ax = static_cast<size_t>(axis);
  Shape out_shape = s;
  out_shape[ax] = length;
  Tensor out(t.dtype(), out_shape);
  const int64_t outer = product(s, 0, ax);
  const int64_t inner = product(s, ax + 1, s.size());
  for (int64_t o = 0; o < outer; ++o) {
    copy_elements(t, (o * s[ax] + start) * inner, out, o * length * inner, length * inner);
  }
  return out;
}

Tensor take_slice(const Tensor& t, int64_t axis, int64_t index) {
  Tensor r = take_range(t, axis, index, 1);
  Shape squeezed = t.shape();
  squeezed.erase(squeezed.begin() + axis);
  return r.view(std::move(squeezed));
}

Tensor concat(const std::vector<const Tensor*>& parts, int64_t axis, const Node& node) {
  if (parts.empty()) fail(node, "nothing to concatenate");
  const Tensor& first = *parts[0];
  const auto ax = static_cast<size_t>(axis);
  Shape out_shape = first.shape();
  out_shape[ax] = 0;
  for (const Tensor* p : parts) {
    if (p->dtype() != first.dtype() || p->rank() != first.rank()) {
      fail(node, fmt::format("cannot concatenate {}{} with {}{}", dtype_name(first.dtype()),
                             shape_to_string(first.shape()), dtype_name(p->dtype()),
                             shape_to_string(p->shape())));
    }
    for (size_t d = 0; d < out_shape.size(); ++d) {
      if (d != ax && p->shape()[d] != first.shape()[d]) {
        fail(node, fmt::format("cannot concatenate shapes {} and {} along axis {}",
                               shape_to_string(first.shape()), shape_to_string(p->shape()), axis));
      }
    }
    out_shape[ax] += p->shape()[ax];
  }
  Tensor out(first.dtype(), out_shape);
  const int64_t outer = product(out_shape, 0, ax);
  const int64_t inner = product(out_shape, ax + 1, out_shape.size());
  int64_t dst = 0;
  for (int64_t o = 0; o < outer; ++o) {
    for (const Tensor* p : parts) {
      const int64_t block = p->shape()[ax] * inner;
      copy_elements(*p, o * block, out, dst, block);
      dst += block;
    }
  }
  return out;
}

Tensor stack(const std::vector<const Tensor*>& parts, int64_t axis, const Node& node) {
  if (parts.empty()) fail(node, "nothing to stack");
  std::vector<Tensor> views;
  views.reserve(parts.size());
  for (const Tensor* p : parts) {
    if (p->shape() != parts[0]->shape()) {
      fail(node, fmt::format("cannot stack shapes {} and {}", shape_to_string(parts[0]->shape()),
                             shape_to_string(p->shape())));
    }
    Shape s = p->shape();
    s.insert(s.begin() + axis, 1);
    views.push_back(p->view(std::move(s)));
  }
  std::vector<const Tensor*> ptrs;
  for (const Tensor& v : views) ptrs.push_back(&v);
  return concat(ptrs, axis, node);
}

}  // namespace bog::runtime::ref::cf
