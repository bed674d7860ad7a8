// Removes nodes none of whose outputs is read or is a graph output (what the fusions and
// constant folding leave behind). Nodes with subgraphs or randomness are kept.
#include <set>

#include "onnx_runtime/providers/cpu/passes/graph_index.h"
#include "onnx_runtime/providers/cpu/passes/passes.h"

namespace bog::runtime::cpu {

int remove_dead_nodes(Graph& g, const std::string& provider) {
  static const std::set<std::string> kKeep = {"RandomNormal",     "RandomUniform",
                                              "RandomNormalLike", "RandomUniformLike",
                                              "Bernoulli",        "Multinomial"};
  int removed = 0;
  for (bool changed = true; changed;) {
    changed = false;
    const GraphIndex idx(g, provider);
    std::vector<Node> kept;
    kept.reserve(g.nodes.size());
    for (Node& n : g.nodes) {
      bool used = !idx.owns(n) || kKeep.count(n.op_type) > 0;
      for (const Attribute& a : n.attributes) {
        if (a.g || !a.graphs.empty()) used = true;
      }
      for (const std::string& o : n.outputs) {
        if (!o.empty() && (!idx.consumers(o).empty() || idx.is_graph_output(o))) used = true;
      }
      if (used) {
        kept.push_back(std::move(n));
      } else {
        ++removed;
        changed = true;
      }
    }
    g.nodes = std::move(kept);
  }
  return removed;
}

}  // namespace bog::runtime::cpu
