// Forward FLOPs of any graph, from the shapes one run produces (2 per multiply-add): MatMul,
// Gemm, Conv, the fused and quantized GEMMs (FusedMatMul, DynamicQuantizeMatMul, MatMulInteger,
// MatMulNBits) and fused attention. Other ops count nothing: at the sizes people run their
// element-wise work is a few percent of the GEMMs'. Foreign models get GFLOP/s this way; our
// own architectures also have the closed form (forward_flops_per_sample).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "onnx_runtime/graph.h"
#include "onnx_runtime/session.h"

namespace bog::bench {

using ShapeOf = std::function<const runtime::Shape*(const std::string& value)>;

// FLOPs of one node given the shapes of its values (nullptr: unknown, the node counts 0).
[[nodiscard]] double node_flops(const runtime::Node& node, const ShapeOf& shape_of);

// Runs `session` once on `feeds` with a node observer (so the batch runs whole) and returns the
// FLOPs of that run: sum of node_flops over the nodes that ran, with the shapes they produced.
[[nodiscard]] double run_and_count_flops(runtime::Session& session,
                                         const std::map<std::string, runtime::Tensor>& feeds);

}  // namespace bog::bench
