// Registration of the nn reference kernels: one call per kernel file.
#include "onnx_runtime/providers/reference/kernels/families.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"
#include "onnx_runtime/providers/reference/kernels/quant_contrib.h"

namespace bog::runtime {

void register_nn_kernels(KernelRegistry& registry) {
  ref::register_reduce_kernels(registry);
  ref::register_arg_reduce_kernels(registry);
  ref::register_softmax_kernels(registry);
  ref::register_matmul_kernels(registry);
  ref::register_gemm_kernels(registry);
  ref::register_einsum_kernels(registry);
  ref::register_layer_normalization_kernels(registry);
  ref::register_rms_normalization_kernels(registry);
  ref::register_batch_normalization_kernels(registry);
  ref::register_instance_normalization_kernels(registry);
  ref::register_group_normalization_kernels(registry);
  ref::register_lp_normalization_kernels(registry);
  ref::register_mean_variance_normalization_kernels(registry);
  ref::register_lrn_kernels(registry);
  ref::register_conv_kernels(registry);
  ref::register_conv_transpose_kernels(registry);
  ref::register_pool_kernels(registry);
  ref::register_max_unpool_kernels(registry);
  ref::register_max_roi_pool_kernels(registry);
  ref::register_dropout_kernels(registry);
  ref::register_det_kernels(registry);
  ref::register_shrink_kernels(registry);
  ref::register_matmul_nbits(registry);
  ref::register_gather_block_quantized(registry);
}

}  // namespace bog::runtime
