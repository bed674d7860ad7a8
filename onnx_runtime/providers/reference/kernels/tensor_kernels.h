// Registration functions of the tensor/shape kernel files; register_tensor.cpp calls them all.
#pragma once

#include "onnx_runtime/kernel.h"

namespace bog::runtime::ref {

void register_reshape_kernels(
    KernelRegistry& registry);  // Identity Reshape Flatten Squeeze Unsqueeze
void register_transpose_kernels(KernelRegistry& registry);  // Transpose DepthToSpace SpaceToDepth
void register_concat_split_kernels(KernelRegistry& registry);  // Concat Split
void register_slice_kernels(KernelRegistry& registry);         // Slice
void register_gather_kernels(KernelRegistry& registry);   // Gather GatherElements GatherND Compress
void register_scatter_kernels(KernelRegistry& registry);  // Scatter ScatterElements ScatterND
void register_expand_tile_kernels(KernelRegistry& registry);  // Expand Tile
void register_pad_kernels(KernelRegistry& registry);          // Pad CenterCropPad
void register_shape_kernels(KernelRegistry& registry);        // Shape Size
void register_constant_kernels(KernelRegistry& registry);  // Constant ConstantOfShape Range EyeLike
void register_trilu_kernels(KernelRegistry& registry);     // Trilu
void register_one_hot_kernels(KernelRegistry& registry);   // OneHot
void register_nonzero_kernels(KernelRegistry& registry);   // NonZero
void register_topk_kernels(KernelRegistry& registry);      // TopK
void register_unique_kernels(KernelRegistry& registry);    // Unique
void register_reverse_sequence_kernels(KernelRegistry& registry);  // ReverseSequence
void register_cumsum_kernels(KernelRegistry& registry);            // CumSum
void register_col2im_kernels(KernelRegistry& registry);            // Col2Im

}  // namespace bog::runtime::ref
