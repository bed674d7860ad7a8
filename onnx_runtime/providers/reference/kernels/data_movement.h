// Helpers for the tensor/shape kernels: most of them only move elements, so they work on any
// dtype by element size (and on kString tensors through strings()). Reading int tensors that
// carry shapes, axes or indices (int32 or int64) also lives here.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "onnx_runtime/kernel.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/tensor.h"

namespace bog::runtime::ref {

// Elements of an int32/int64 tensor as int64; Error(kInvalidModel) naming `what` otherwise.
std::vector<int64_t> read_ints(const Tensor& t, const Node& node, std::string_view what);
// The same into `out` (no allocation for up to SmallDims::kInline elements).
void read_ints(const Tensor& t, const Node& node, std::string_view what, SmallDims& out);

// The output shape of a view op of input 0 (Identity, Reshape, Flatten, Squeeze, Unsqueeze in
// the default domain), validated as the reference kernel does; false for any other op. The
// cpu provider runs these ops as views of their input.
bool view_dims(const KernelContext& ctx, SmallDims& out);

// The single value of an int32/int64 tensor of one element (scalar or shape [1]).
int64_t read_scalar_int(const Tensor& t, const Node& node, std::string_view what);

// Value of element i of a numeric tensor as double (float16/bfloat16/bool included).
double element_as_double(const Tensor& t, int64_t i);
// Writes v (converted) into element i of a numeric tensor.
void set_element_from_double(Tensor& t, int64_t i, double v);

// Three-way comparison of a[i] and b[j] (same dtype): numeric order, or byte order of strings.
// NaN compares greater than every number and equal to NaN, so sorting stays well defined.
int compare_elements(const Tensor& a, int64_t i, const Tensor& b, int64_t j);

// Copies element src_i of src into element dst_i of dst; both have the same dtype.
class ElementCopier {
 public:
  ElementCopier(const Tensor& src, Tensor& dst);
  void operator()(int64_t dst_i, int64_t src_i) const;

 private:
  const Tensor& src_;
  Tensor& dst_;
  size_t size_;
  bool strings_;
};

// A new tensor of `shape` whose element i is src[map[i]]; map[i] < 0 leaves element i at the
// value of `fill` (a one-element tensor of src's dtype) or zero/"" when fill is null.
Tensor gather_by_map(const Tensor& src, Shape shape, const std::vector<int64_t>& map,
                     const Tensor* fill = nullptr);

// A new tensor of `shape` whose element at multi-index i is in.flat[base + sum_k i_k * steps[k]]
// (steps in elements, any sign). Transpose and Slice are both this copy; it walks the output
// once with a running offset and copies contiguous innermost runs whole.
Tensor strided_copy(const Tensor& in, const Shape& shape, int64_t base,
                    const std::vector<int64_t>& steps);

// out[i_0..i_n] = in[i_perm...]: numpy transpose with out.shape[k] = in.shape[perm[k]].
// perm must already be a valid permutation.
Tensor permute(const Tensor& in, const std::vector<int64_t>& perm);

// Calls f(index) for every multi-index of `shape` in row-major order; index is reused.
template <class F>
void for_each_index(const Shape& shape, F&& f) {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  if (n == 0) return;
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t flat = 0; flat < n; ++flat) {
    f(static_cast<const std::vector<int64_t>&>(idx));
    for (int64_t a = static_cast<int64_t>(shape.size()) - 1; a >= 0; --a) {
      if (++idx[static_cast<size_t>(a)] < shape[static_cast<size_t>(a)]) break;
      idx[static_cast<size_t>(a)] = 0;
    }
  }
}

// Error(kInvalidModel) "<op> node '<name>': <message>".
[[noreturn]] void fail(const Node& node, std::string_view message);

}  // namespace bog::runtime::ref
