// The control-flow family: If, Loop, Scan, sequence and optional ops, and the small tensor
// helpers they share (slicing along an axis, stacking, concatenating).
#pragma once

#include <string_view>
#include <vector>

#include "onnx_runtime/kernel.h"
#include "onnx_runtime/tensor.h"

namespace bog::runtime::ref {

void register_if_kernels(KernelRegistry& registry);
void register_loop_kernels(KernelRegistry& registry);
void register_scan_kernels(KernelRegistry& registry);
void register_sequence_kernels(KernelRegistry& registry);
void register_sequence_map_kernels(KernelRegistry& registry);
void register_optional_kernels(KernelRegistry& registry);

namespace cf {

// Error(kInvalidModel) "<Op> node '<name>': <what>".
[[noreturn]] void fail(const Node& node, std::string_view what);

// A one-element bool tensor's value.
bool read_bool_scalar(const Tensor& t, const Node& node, std::string_view what);
// A one-element int32/int64 tensor's value.
int64_t read_int_scalar(const Tensor& t, const Node& node, std::string_view what);

// Elements [start, start + length) along `axis`, keeping the axis.
Tensor take_range(const Tensor& t, int64_t axis, int64_t start, int64_t length);
// Element `index` along `axis`, with the axis removed.
Tensor take_slice(const Tensor& t, int64_t axis, int64_t index);
// Concatenates along an existing axis; parts must agree on dtype and every other dim.
Tensor concat(const std::vector<const Tensor*>& parts, int64_t axis, const Node& node);
// Stacks equally shaped parts along a new axis at position `axis` (0..rank).
Tensor stack(const std::vector<const Tensor*>& parts, int64_t axis, const Node& node);

}  // namespace cf
}  // namespace bog::runtime::ref
