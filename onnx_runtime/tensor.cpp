#include "onnx_runtime/tensor.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "common/checked_math.h"
#include "common/error.h"

namespace bog::runtime {

// Owned storage: one 64-byte-aligned block (so SIMD kernels may use aligned loads) plus the
// element strings of a kString tensor.
struct Tensor::Storage {
  struct FreeDeleter {
    void operator()(void* p) const { std::free(p); }
  };
  std::unique_ptr<void, FreeDeleter> block;
  std::vector<std::string> strings;
  std::shared_ptr<void> external;  // memory owned elsewhere (a device allocation), see adopt()
};

namespace {
constexpr size_t kAlignment = 64;
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  numel_ = checked_numel(shape_);
  storage_ = std::make_shared<Storage>();
  if (dtype_ == DType::kString) {
    storage_->strings.resize(static_cast<size_t>(numel_));
    return;
  }
  const size_t bytes = checked_mul_size(static_cast<size_t>(numel_), dtype_size(dtype_));
  // aligned_alloc needs a size that is a multiple of the alignment, and never 0.
  const size_t padded = (bytes + kAlignment - 1) / kAlignment * kAlignment + kAlignment;
  void* p = std::aligned_alloc(kAlignment, padded);
  if (p == nullptr) {
    throw Error(ErrorCategory::kIo,
                fmt::format("out of memory allocating {} bytes for {} tensor {}", bytes,
                            dtype_name(dtype_), shape_to_string(shape_)));
  }
  std::memset(p, 0, padded);
  storage_->block.reset(p);
  data_ = p;
}

Tensor Tensor::uninitialized(DType dtype, std::span<const int64_t> shape) {
  if (dtype == DType::kString) return Tensor(dtype, Shape(shape.begin(), shape.end()));
  Tensor t;
  t.dtype_ = dtype;
  t.shape_.assign(shape.begin(), shape.end());
  t.numel_ = checked_numel(t.shape_);
  const size_t bytes = checked_mul_size(static_cast<size_t>(t.numel_), dtype_size(dtype));
  const size_t padded = (bytes + kAlignment - 1) / kAlignment * kAlignment + kAlignment;
  void* p = std::aligned_alloc(kAlignment, padded);
  if (p == nullptr) {
    throw Error(ErrorCategory::kIo,
                fmt::format("out of memory allocating {} bytes for {} tensor {}", bytes,
                            dtype_name(dtype), shape_to_string(shape)));
  }
  t.storage_ = std::make_shared<Storage>();
  t.storage_->block.reset(p);
  t.data_ = p;
  return t;
}

void Tensor::assign_view_of(const Tensor& src) {
  if (this == &src) return;
  dtype_ = src.dtype_;
  shape_.assign(src.shape_.begin(), src.shape_.end());
  numel_ = src.numel_;
  device_ = src.device_;
  storage_ = src.storage_;
  data_ = src.data_;
}

void Tensor::assign_view_of(const Tensor& src, std::span<const int64_t> shape) {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  if (src.dtype_ == DType::kString || n < 0 || n > src.numel_) {
    throw Error(ErrorCategory::kInternal,
                fmt::format("a view of shape {} does not fit a tensor of shape {}",
                            shape_to_string(shape), shape_to_string(src.shape())));
  }
  dtype_ = src.dtype_;
  shape_.assign(shape.begin(), shape.end());
  numel_ = n;
  device_ = src.device_;
  storage_ = src.storage_;
  data_ = src.data_;
}

void Tensor::assign_borrow(DType dtype, std::span<const int64_t> shape, void* data) {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  dtype_ = dtype;
  shape_.assign(shape.begin(), shape.end());
  numel_ = n;
  device_ = Device::kCpu;
  storage_.reset();
  data_ = data;
}

void Tensor::assign_rows_of(const Tensor& src, int64_t begin, int64_t count) {
  if (this == &src || src.rank() == 0 || begin < 0 || count < 0 || begin + count > src.dim(0) ||
      src.dtype_ == DType::kString) {
    throw Error(ErrorCategory::kInternal,
                fmt::format("rows [{}, {}) of a tensor of shape {}", begin, begin + count,
                            shape_to_string(src.shape())));
  }
  const int64_t row = src.dim(0) == 0 ? 0 : src.numel_ / src.dim(0);
  dtype_ = src.dtype_;
  shape_.assign(src.shape_.begin(), src.shape_.end());
  shape_[0] = count;
  numel_ = row * count;
  device_ = src.device_;
  storage_ = src.storage_;
  data_ = static_cast<char*>(src.data_) + static_cast<size_t>(begin * row) * dtype_size(src.dtype_);
}

bool Tensor::same_layout(DType dtype, std::span<const int64_t> shape) const {
  return dtype_ == dtype && shape_.size() == shape.size() &&
         std::equal(shape_.begin(), shape_.end(), shape.begin());
}

Tensor Tensor::borrow(DType dtype, Shape shape, void* data) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.numel_ = checked_numel(t.shape_);
  t.data_ = data;
  return t;
}

Tensor Tensor::adopt(DType dtype, Shape shape, Device device, std::shared_ptr<void> owner) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.numel_ = checked_numel(t.shape_);
  t.device_ = device;
  t.storage_ = std::make_shared<Storage>();
  t.data_ = owner.get();
  t.storage_->external = std::move(owner);
  return t;
}

Tensor Tensor::scalar_string(std::string s) {
  Tensor t(DType::kString, {});
  t.strings()[0] = std::move(s);
  return t;
}

size_t Tensor::nbytes() const { return static_cast<size_t>(numel_) * dtype_size(dtype_); }

Tensor Tensor::clone() const {
  if (!defined()) return Tensor();
  if (device_ != Device::kCpu) {
    // A host memcpy of device memory would crash: copies go through the tensor's provider.
    throw Error(ErrorCategory::kInternal,
                fmt::format("clone() of a device tensor {} {}: copy it through its provider",
                            dtype_name(dtype_), shape_to_string(shape_)));
  }
  Tensor out(dtype_, shape_);
  if (dtype_ == DType::kString) {
    out.strings() = strings();
  } else if (nbytes() > 0) {
    std::memcpy(out.data_, data_, nbytes());
  }
  return out;
}

Tensor Tensor::view(Shape shape) const {
  const int64_t n = checked_numel(shape);
  if (n != numel_) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("cannot view {} elements of shape {} as shape {}", numel_,
                            shape_to_string(shape_), shape_to_string(shape)));
  }
  Tensor t;
  t.dtype_ = dtype_;
  t.shape_ = std::move(shape);
  t.numel_ = n;
  t.device_ = device_;
  t.storage_ = storage_;
  t.data_ = data_;
  return t;
}

std::vector<std::string>& Tensor::strings() {
  if (!storage_) {
    throw Error(ErrorCategory::kInternal, "string access on a tensor without owned storage");
  }
  return storage_->strings;
}

const std::vector<std::string>& Tensor::strings() const {
  if (!storage_) {
    throw Error(ErrorCategory::kInternal, "string access on a tensor without owned storage");
  }
  return storage_->strings;
}

std::string shape_to_string(std::span<const int64_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ","));
}

}  // namespace bog::runtime
