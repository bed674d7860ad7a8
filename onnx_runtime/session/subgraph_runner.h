// Subgraphs (the bodies of If, Loop and Scan) run through a name-keyed environment that also
// reads the values of the graphs around them; kernels, providers and value lifetimes of each
// subgraph are prepared once at session creation.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "onnx_runtime/session/kernel_call.h"
#include "onnx_runtime/session/value_slots.h"

namespace bog::runtime::session {

// Values visible while a subgraph runs: its own, then those of the graphs around it.
struct Env {
  std::unordered_map<std::string, Value> values;
  // The graph's initializers (views made once at session creation); values shadow them.
  const std::unordered_map<std::string, Value>* constants = nullptr;
  const Env* parent = nullptr;
  const ValueSlots* top = nullptr;  // the top-level graph's slots, for the outermost scope

  const Value* find(const std::string& name) const;
};

class SubgraphRunner {
 public:
  explicit SubgraphRunner(const Providers& providers) : providers_(providers) {}
  SubgraphRunner(const SubgraphRunner&) = delete;
  SubgraphRunner& operator=(const SubgraphRunner&) = delete;

  // Prepares every subgraph held in the node's attributes (and theirs, recursively).
  void prepare_subgraphs(const Node& node);

  // Runs a prepared subgraph with its inputs in order, seeing `outer`; its outputs in order.
  std::vector<Value> run(const Graph& graph, std::vector<Value> inputs, const Env& outer);

 private:
  // What the loop needs per subgraph.
  struct Prepared {
    std::vector<KernelFn> kernels;                     // one per node, in node order
    std::vector<const ExecutionProvider*> providers;   // the provider that runs each node
    std::vector<std::vector<std::string>> free_after;  // values dead after node i
    std::unordered_map<std::string, Value> constants;  // views of the initializers
  };

  void prepare_graph(const Graph& graph);
  std::vector<Value> execute(const Graph& graph, Env& env);

  const Providers& providers_;
  std::map<const Graph*, Prepared> prepared_;
};

}  // namespace bog::runtime::session
