// Constant folding: a node on the pass's provider whose inputs are all initializers (or that has
// none, like Constant) is run once at session creation; its outputs become initializers.
#include <set>

#include "onnx_runtime/kernel.h"
#include "onnx_runtime/providers/cpu/passes/passes.h"

namespace bog::runtime::cpu {
namespace {

bool foldable_op(const Node& node, const std::string& provider) {
  static const std::set<std::string> kNever = {"If",
                                               "Loop",
                                               "Scan",
                                               "SequenceMap",
                                               "RandomNormal",
                                               "RandomUniform",
                                               "RandomNormalLike",
                                               "RandomUniformLike",
                                               "Bernoulli",
                                               "Multinomial",
                                               "Dropout"};
  if (kNever.count(node.op_type)) return false;
  for (const Attribute& a : node.attributes) {
    if (a.g || !a.graphs.empty()) return false;
  }
  return node.provider == provider;
}

}  // namespace

int fold_constants(Graph& graph, const std::string& provider, const ExecutionProvider& evaluator) {
  int folded = 0;
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  std::set<std::string> graph_outputs;
  for (const ValueInfo& v : graph.outputs) graph_outputs.insert(v.name);
  for (Node& node : graph.nodes) {
    bool all_const = foldable_op(node, provider) && evaluator.claims(node).claimed;
    for (const std::string& in : node.inputs) {
      // An initializer that is also a graph input is only a default the caller may override.
      if (!in.empty() && (!graph.is_initializer(in) || graph.find_input(in))) all_const = false;
    }
    for (const std::string& out : node.outputs) {
      if (graph_outputs.count(out)) all_const = false;  // keep outputs produced by a node
    }
    if (!all_const) {
      kept.push_back(std::move(node));
      continue;
    }
    std::vector<Value> inputs;
    inputs.reserve(node.inputs.size());
    std::vector<const Value*> ptrs;
    for (const std::string& in : node.inputs) {
      if (in.empty()) {
        inputs.emplace_back();
        continue;
      }
      const Tensor& t = graph.initializers.at(in);
      inputs.push_back(Value::from_tensor(t.view(t.shape())));
    }
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      ptrs.push_back(node.inputs[i].empty() ? nullptr : &inputs[i]);
    }
    try {
      KernelContext ctx(node, ptrs, node.outputs.size());
      evaluator.create_kernel(node)(ctx);
      bool all_tensors = true;
      for (size_t i = 0; i < node.outputs.size(); ++i) {
        if (!node.outputs[i].empty() && !ctx.outputs()[i].is_tensor()) all_tensors = false;
      }
      if (!all_tensors) {
        kept.push_back(std::move(node));
        continue;
      }
      for (size_t i = 0; i < node.outputs.size(); ++i) {
        if (!node.outputs[i].empty()) {
          graph.initializers[node.outputs[i]] = std::move(ctx.outputs()[i].tensor);
        }
      }
      ++folded;
    } catch (const std::exception&) {
      // Leave the node in place: running it at run time reports the error with full context.
      kept.push_back(std::move(node));
    }
  }
  graph.nodes = std::move(kept);
  return folded;
}

}  // namespace bog::runtime::cpu
