// Registration of the tensor reference kernels: shape manipulation and data movement. Each
// kernel file registers its own ops with the opset ranges it implements.
#include "onnx_runtime/providers/reference/kernels/families.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime {

void register_tensor_kernels(KernelRegistry& registry) {
  ref::register_reshape_kernels(registry);
  ref::register_transpose_kernels(registry);
  ref::register_concat_split_kernels(registry);
  ref::register_slice_kernels(registry);
  ref::register_gather_kernels(registry);
  ref::register_scatter_kernels(registry);
  ref::register_expand_tile_kernels(registry);
  ref::register_pad_kernels(registry);
  ref::register_shape_kernels(registry);
  ref::register_constant_kernels(registry);
  ref::register_trilu_kernels(registry);
  ref::register_one_hot_kernels(registry);
  ref::register_nonzero_kernels(registry);
  ref::register_topk_kernels(registry);
  ref::register_unique_kernels(registry);
  ref::register_reverse_sequence_kernels(registry);
  ref::register_cumsum_kernels(registry);
  ref::register_col2im_kernels(registry);
}

}  // namespace bog::runtime
