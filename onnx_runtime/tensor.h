// Tensor: dtype, int64 shape and a 64-byte-aligned, row-major, contiguous buffer.
// Move-only; copying is an explicit clone(). Views (reshape, borrow) share or borrow storage.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "onnx_runtime/dtype.h"

namespace bog::runtime {

using Shape = std::vector<int64_t>;

enum class Device { kCpu, kCuda };

class Tensor {
 public:
  Tensor() = default;  // undefined dtype, no storage
  // Allocates zero-initialised storage. Throws Error(kInvalidModel) on a negative dim/overflow.
  Tensor(DType dtype, Shape shape);

  // Owned storage left uninitialised, for kernels that write every element.
  static Tensor uninitialized(DType dtype, std::span<const int64_t> shape);
  // Wraps memory the caller keeps alive for the tensor's lifetime (no copy, no ownership).
  static Tensor borrow(DType dtype, Shape shape, void* data);
  // Wraps memory on `device` that `owner` keeps alive (its deleter frees it): how providers
  // for other devices (cuda) make their tensors. Host code must not dereference raw() of a
  // non-CPU tensor; clone() of one is an Error(kInternal).
  static Tensor adopt(DType dtype, Shape shape, Device device, std::shared_ptr<void> owner);
  // Shorthand for tests and kernels: a float/int tensor filled from values (size must match).
  template <class T>
  static Tensor from_vector(Shape shape, const std::vector<T>& values);
  static Tensor scalar_string(std::string s);

  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;

  [[nodiscard]] Tensor clone() const;  // deep copy into new owned storage
  // Same storage, new shape (numel must match). Cheap: used by Reshape/Flatten/Squeeze.
  [[nodiscard]] Tensor view(Shape shape) const;

  // Makes this tensor a view of `src` (same storage, dtype and shape). Reuses this tensor's
  // shape capacity, so re-pointing a tensor of the same rank allocates nothing.
  void assign_view_of(const Tensor& src);
  // Makes this tensor a view of rows [begin, begin + count) of `src` (dim 0), allocation-free
  // like assign_view_of. Not for string tensors.
  void assign_rows_of(const Tensor& src, int64_t begin, int64_t count);
  // Makes this tensor a view of `src`'s storage (from its start) with another shape whose bytes
  // fit in src's; allocation-free like assign_view_of. How a grown buffer serves a smaller
  // tensor (a KV cache, an elastic memory plan). Error(kInternal) if it does not fit.
  void assign_view_of(const Tensor& src, std::span<const int64_t> shape);
  // Makes this tensor borrow `data` with this dtype and shape, reusing its shape's capacity
  // (Tensor::borrow without an allocation, for kernels that hand out a caller's buffer).
  void assign_borrow(DType dtype, std::span<const int64_t> shape, void* data);
  // Same dtype and dims.
  bool same_layout(DType dtype, std::span<const int64_t> shape) const;

  bool defined() const { return dtype_ != DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t axis) const { return shape_[static_cast<size_t>(axis)]; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const;
  Device device() const { return device_; }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <class T>
  T* data() {
    return static_cast<T*>(data_);
  }
  template <class T>
  const T* data() const {
    return static_cast<const T*>(data_);
  }
  template <class T>
  std::span<T> span() {
    return {data<T>(), static_cast<size_t>(numel_)};
  }
  template <class T>
  std::span<const T> span() const {
    return {data<T>(), static_cast<size_t>(numel_)};
  }

  // kString tensors keep their elements here (numel entries); raw() is null for them.
  std::vector<std::string>& strings();
  const std::vector<std::string>& strings() const;

 private:
  struct Storage;
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  int64_t numel_ = 0;
  Device device_ = Device::kCpu;
  std::shared_ptr<Storage> storage_;  // shared between a tensor and its views; null if borrowed
  void* data_ = nullptr;
};

// "[2,3,4]" for messages.
std::string shape_to_string(std::span<const int64_t> shape);

template <class T>
Tensor Tensor::from_vector(Shape shape, const std::vector<T>& values) {
  Tensor t(dtype_of<T>(), std::move(shape));
  T* out = t.data<T>();
  for (size_t i = 0; i < values.size() && i < static_cast<size_t>(t.numel()); ++i)
    out[i] = values[i];
  return t;
}

}  // namespace bog::runtime
