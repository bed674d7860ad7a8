// The fusion pipeline, shared by the providers that run the bog.cpu fused node types (cpu and
// cuda): the passes match nodes placed on "cpu", so for another provider its nodes are labelled
// "cpu" for the duration of the passes (and the cpu provider's own nodes set aside), then every
// label is restored; the fused nodes the passes create go to the provider that asked.
#include <spdlog/spdlog.h>

#include "onnx_runtime/providers/cpu/passes/passes.h"

namespace bog::runtime::cpu {
namespace {

constexpr const char* kCpu = "cpu";
constexpr const char* kSetAside = "cpu (set aside while another provider's passes run)";

void relabel(Graph& graph, const std::string& from, const std::string& to) {
  for (Node& n : graph.nodes) {
    if (n.provider == from) n.provider = to;
  }
}

// Labels `provider`'s nodes "cpu" while alive; restores every label when it goes, also when a
// pass throws.
class AsCpu {
 public:
  AsCpu(Graph& graph, std::string provider) : graph_(graph), provider_(std::move(provider)) {
    if (provider_ == kCpu) return;
    relabel(graph_, kCpu, kSetAside);
    relabel(graph_, provider_, kCpu);
  }
  ~AsCpu() {
    if (provider_ == kCpu) return;
    relabel(graph_, kCpu, provider_);
    relabel(graph_, kSetAside, kCpu);
  }
  AsCpu(const AsCpu&) = delete;
  AsCpu& operator=(const AsCpu&) = delete;

 private:
  Graph& graph_;
  std::string provider_;
};

}  // namespace

std::vector<ExecutionProvider::PassCount> run_fusion_passes(Graph& graph,
                                                            const std::string& provider,
                                                            const ExecutionProvider& evaluator) {
  std::vector<ExecutionProvider::PassCount> counts;
  const AsCpu scope(graph, provider);
  const auto run = [&](const char* name, int rewrites) {
    counts.push_back({name, rewrites});
    spdlog::debug("{} pass {}: {} rewrites", provider, name, rewrites);
  };
  run("fold_constants", fold_constants(graph, evaluator));
  run("fuse_rms_norm", fuse_rms_norm(graph));
  run("fuse_gelu", fuse_gelu(graph));
  run("fuse_silu", fuse_silu(graph));
  run("fuse_rope", fuse_rope(graph));
  run("fuse_attention", fuse_attention(graph));
  run("fuse_matmul", fuse_matmul(graph));
  run("remove_dead_nodes", remove_dead_nodes(graph));
  return counts;
}

}  // namespace bog::runtime::cpu
