// The fusion pipeline, shared by the providers that run the bog.cpu fused node types (cpu and
// cuda): every pass rewrites only the nodes placed on the provider that asked, and places the
// fused nodes it makes there.
#include <spdlog/spdlog.h>

#include "onnx_runtime/providers/cpu/passes/passes.h"

namespace bog::runtime::cpu {

std::vector<ExecutionProvider::PassCount> run_fusion_passes(Graph& graph,
                                                            const std::string& provider,
                                                            const ExecutionProvider& evaluator) {
  std::vector<ExecutionProvider::PassCount> counts;
  const auto run = [&](const char* name, int rewrites) {
    counts.push_back({name, rewrites});
    spdlog::debug("{} pass {}: {} rewrites", provider, name, rewrites);
  };
  run("fold_constants", fold_constants(graph, provider, evaluator));
  run("fuse_rms_norm", fuse_rms_norm(graph, provider));
  run("fuse_gelu", fuse_gelu(graph, provider));
  run("fuse_silu", fuse_silu(graph, provider));
  run("fuse_rope", fuse_rope(graph, provider));
  run("fuse_attention", fuse_attention(graph, provider));
  run("fuse_matmul", fuse_matmul(graph, provider));
  run("remove_dead_nodes", remove_dead_nodes(graph, provider));
  return counts;
}

}  // namespace bog::runtime::cpu
