// The cpu provider's graph passes, run in this order by run_fusion_passes (CpuProvider and
// CudaProvider::optimize). Each rewrites only nodes placed on `provider` (the fused nodes go
// there too), returns its number of
// rewrites, and keeps the graph topologically sorted: a fused node takes the slot of the last
// node it replaces.
#pragma once

#include <string>
#include <vector>

#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/graph.h"
#include "onnx_runtime/kv_cache_state.h"

namespace bog::runtime::cpu {

// Evaluates nodes whose inputs are all initializers with `evaluator`'s kernels and turns their
// outputs into initializers. Returns the number of nodes folded.
int fold_constants(Graph& graph, const std::string& provider, const ExecutionProvider& evaluator);
int fuse_rms_norm(Graph& graph, const std::string& provider);   // fusions.cpp
int fuse_gelu(Graph& graph, const std::string& provider);       // fusions.cpp
int fuse_silu(Graph& graph, const std::string& provider);       // fusions.cpp
int fuse_rope(Graph& graph, const std::string& provider);       // fuse_rope.cpp
int fuse_attention(Graph& graph, const std::string& provider);  // fuse_attention.cpp
int fuse_matmul(Graph& graph, const std::string& provider);     // fuse_matmul.cpp
int remove_dead_nodes(Graph& graph, const std::string& provider);
// Decoder sessions only (SessionOptions::kv_cache): present = Concat(past, new) -> KvAppend in
// place, after fuse_attention; records in `state` what it did or why not (fuse_kv_append.cpp).
int fuse_kv_append(Graph& graph, const std::string& provider, KvCacheState& state);

// Every pass above, in order, over the nodes placed on `provider` (pipeline.cpp): the one entry
// point of the fusions, so the cpu and cuda providers produce the same fused (bog.cpu) node
// types. Fused nodes are placed on `provider`. `evaluator` folds constants.
std::vector<ExecutionProvider::PassCount> run_fusion_passes(Graph& graph,
                                                            const std::string& provider,
                                                            const ExecutionProvider& evaluator);

}  // namespace bog::runtime::cpu
