// Helpers private to the NN reference kernels (reductions, normalization, conv/pool, matmul):
// element conversion to double, reduction plans and N-D index iteration, plus the per-file
// registration functions that register_nn.cpp calls.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "onnx_runtime/kernel.h"
#include "onnx_runtime/tensor.h"

namespace bog::runtime::ref {

// float32, float64, float16, bfloat16: the dtypes NN float kernels accept (computed in double).
bool is_real_dtype(DType dtype);
// Error(kUnsupported) naming the op and dtype unless `t` has a real dtype.
void require_real(const Tensor& t, const Node& node);

// Every element as a double; numeric dtypes and bool. Float16/BFloat16 are widened exactly.
std::vector<double> to_doubles(const Tensor& t);
// Every element as int64; integer dtypes and bool only.
std::vector<int64_t> to_int64s(const Tensor& t);
// Writes `values` into `out` (same numel), rounding to out's dtype (ints: truncate toward zero).
void store_doubles(std::span<const double> values, Tensor& out);
void store_int64s(std::span<const int64_t> values, Tensor& out);

// Product of shape[from, to).
int64_t dims_product(std::span<const int64_t> shape, size_t from, size_t to);

// A reduction over a set of axes, as two offset lists: output element o reads the inputs at
// bases[o] + offsets[r] for every r. Plain and easy to check, not fast.
struct ReductionPlan {
  Shape out_shape;  // keepdims form (reduced axes as 1) or squeezed
  std::vector<int64_t> bases;
  std::vector<int64_t> offsets;
};
ReductionPlan plan_reduction(const Shape& in_shape, const std::vector<bool>& reduced,
                             bool keepdims);

// Advances a multi-index over `shape` in row-major order; false after the last index.
bool next_index(std::vector<int64_t>& index, std::span<const int64_t> shape);

// `t` broadcast (unidirectionally, numpy rules) to `target`, as doubles in row-major order;
// Error(kInvalidModel) when it does not broadcast.
std::vector<double> broadcast_to(const Tensor& t, const Shape& target, const Node& node);

// A list of ints from a 1-D (or scalar) int32/int64 tensor, e.g. axes or pads given as input.
std::vector<int64_t> read_int_list(const Tensor& t, const Node& node);

void register_reduce_kernels(KernelRegistry& registry);
void register_arg_reduce_kernels(KernelRegistry& registry);
void register_softmax_kernels(KernelRegistry& registry);
void register_matmul_kernels(KernelRegistry& registry);
void register_gemm_kernels(KernelRegistry& registry);
void register_einsum_kernels(KernelRegistry& registry);
void register_layer_normalization_kernels(KernelRegistry& registry);
void register_rms_normalization_kernels(KernelRegistry& registry);
void register_batch_normalization_kernels(KernelRegistry& registry);
void register_instance_normalization_kernels(KernelRegistry& registry);
void register_group_normalization_kernels(KernelRegistry& registry);
void register_lp_normalization_kernels(KernelRegistry& registry);
void register_mean_variance_normalization_kernels(KernelRegistry& registry);
void register_lrn_kernels(KernelRegistry& registry);
void register_conv_kernels(KernelRegistry& registry);
void register_conv_transpose_kernels(KernelRegistry& registry);
void register_pool_kernels(KernelRegistry& registry);
void register_max_unpool_kernels(KernelRegistry& registry);
void register_max_roi_pool_kernels(KernelRegistry& registry);
void register_dropout_kernels(KernelRegistry& registry);
void register_det_kernels(KernelRegistry& registry);
void register_shrink_kernels(KernelRegistry& registry);

}  // namespace bog::runtime::ref

namespace bog::runtime::ref {

// numpy.matmul shapes: 1-D operands are promoted ([K] -> [1,K] on the left, [K,1] on the
// right) and the promoted dim removed from the result; batch dims broadcast.
struct MatMulPlan {
  Shape out_shape;
  int64_t m = 0, k = 0, n = 0;
  std::vector<int64_t> a_base, b_base;  // element offset of each batch's matrix in A and B
};
MatMulPlan plan_matmul(const Shape& a, const Shape& b, const Node& node);

// Sliding-window geometry shared by Conv, ConvInteger and the pools, from the node's
// auto_pad, pads, strides and dilations (defaults: NOTSET, 0, 1, 1). NOTSET/VALID sizes are
// floor((in + pads - ((k - 1) * d + 1)) / s) + 1 (ceil with ceil_mode, dropping a last window
// that would start inside the end padding); SAME_UPPER/SAME_LOWER give ceil(in / s) with the
// odd padding unit at the end / the beginning.
struct WindowGeometry {
  Shape in, kernel, strides, dilations, pads_begin, pads_end, out;
};
WindowGeometry window_geometry(const Node& node, const Shape& in_spatial, const Shape& kernel,
                               bool ceil_mode, bool use_dilations = true);

// Direct grouped N-D convolution (no bias) of x [N, C, in...] with w [M, C/group, k...] over
// the geometry `g`; returns [N, M, out...] in row-major order. Shared by Conv and ConvInteger.
std::vector<double> direct_conv(const std::vector<double>& x, const Shape& x_shape,
                                const std::vector<double>& w, const Shape& w_shape, int64_t group,
                                const WindowGeometry& g);
// Checks Conv-style X/W shapes and builds the geometry (kernel_shape defaults to W's dims).
WindowGeometry conv_geometry(const Node& node, const Shape& x_shape, const Shape& w_shape,
                             int64_t group);

}  // namespace bog::runtime::ref
