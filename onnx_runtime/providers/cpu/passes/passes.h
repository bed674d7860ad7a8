// The cpu provider's graph passes. Each rewrites only nodes placed on "cpu" and keeps the
// graph topologically sorted: a fused node takes the slot of the last node it replaces.
#pragma once

#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/graph.h"

namespace bog::runtime::cpu {

// Evaluates nodes whose inputs are all initializers with `evaluator`'s kernels and turns their
// outputs into initializers. Returns the number of nodes folded.
int fold_constants(Graph& graph, const ExecutionProvider& evaluator);
int fuse_matmul_add(Graph& graph);
int fuse_rms_norm(Graph& graph);
int fuse_gelu(Graph& graph);

}  // namespace bog::runtime::cpu
