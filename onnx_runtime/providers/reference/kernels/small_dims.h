// Dims a kernel computes for itself (an output shape, axes, strides): held inline up to
// kInline of them, so a kernel run in a steady-state decode step allocates nothing; a vector
// holds more.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace bog::runtime::ref {

class SmallDims {
 public:
  static constexpr size_t kInline = 8;

  SmallDims() = default;
  explicit SmallDims(std::span<const int64_t> dims) { assign(dims); }

  void assign(std::span<const int64_t> dims) {
    resize(dims.size());
    std::copy(dims.begin(), dims.end(), data());
  }
  void assign(size_t n, int64_t fill) {
    resize(n);
    std::fill(data(), data() + n, fill);
  }
  void resize(size_t n) {
    if (n > kInline) {
      if (size_ <= kInline) heap_.assign(inline_.begin(), inline_.begin() + size_);
      heap_.resize(n);
    }
    size_ = n;
  }
  void push_back(int64_t d) {
    resize(size_ + 1);
    data()[size_ - 1] = d;
  }
  void clear() { size_ = 0; }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t* data() { return size_ > kInline ? heap_.data() : inline_.data(); }
  const int64_t* data() const { return size_ > kInline ? heap_.data() : inline_.data(); }
  int64_t& operator[](size_t i) { return data()[i]; }
  int64_t operator[](size_t i) const { return data()[i]; }
  int64_t* begin() { return data(); }
  int64_t* end() { return data() + size_; }
  const int64_t* begin() const { return data(); }
  const int64_t* end() const { return data() + size_; }
  std::span<const int64_t> span() const { return {data(), size_}; }

 private:
  std::array<int64_t, kInline> inline_{};
  std::vector<int64_t> heap_;  // the dims while there are more than kInline
  size_t size_ = 0;
};

}  // namespace bog::runtime::ref
