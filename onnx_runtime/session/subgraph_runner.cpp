// The subgraph run loop (subgraph_runner.h).
#include "onnx_runtime/session/subgraph_runner.h"

#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/graph_scope.h"
#include "onnx_runtime/session/placement.h"

namespace bog::runtime::session {

const Value* Env::find(const std::string& name) const {
  for (const Env* e = this; e != nullptr; e = e->parent) {
    if (const auto it = e->values.find(name); it != e->values.end()) return &it->second;
    if (e->constants != nullptr) {
      if (const auto it = e->constants->find(name); it != e->constants->end()) return &it->second;
    }
    if (e->top != nullptr) {
      if (const auto it = e->top->index.find(name); it != e->top->index.end()) {
        const Value& v = (*e->top)[it->second];
        if (!is_absent(v)) return &v;
      }
    }
  }
  return nullptr;
}

void SubgraphRunner::prepare_subgraphs(const Node& node) {
  for (const Attribute& a : node.attributes) {
    if (a.g) prepare_graph(*a.g);
    for (const auto& g : a.graphs) {
      if (g) prepare_graph(*g);
    }
  }
}

void SubgraphRunner::prepare_graph(const Graph& graph) {
  Prepared pg;
  for (const auto& [name, tensor] : graph.initializers) {
    pg.constants.emplace(name, Value::from_tensor(tensor.view(tensor.shape())));
  }
  const size_t n = graph.nodes.size();
  std::map<std::string, size_t> last_use;
  for (size_t i = 0; i < n; ++i) {
    const Node& node = graph.nodes[i];
    const ExecutionProvider* p = &provider_named(providers_, node.provider);
    pg.providers.push_back(p);
    pg.kernels.push_back(make_kernel(*p, node, i));
    for (const std::string& in : node.inputs) {
      if (!in.empty()) last_use[in] = i;
    }
    for (const std::string& in : implicit_inputs(node)) last_use[in] = i;
    for (const std::string& o : node.outputs) {
      if (!o.empty() && !last_use.count(o)) last_use[o] = i;
    }
    prepare_subgraphs(node);
  }
  for (const ValueInfo& v : graph.outputs) last_use.erase(v.name);
  pg.free_after.resize(n);
  for (const auto& [name, i] : last_use) pg.free_after[i].push_back(name);
  prepared_[&graph] = std::move(pg);
}

std::vector<Value> SubgraphRunner::run(const Graph& graph, std::vector<Value> inputs,
                                       const Env& outer) {
  if (inputs.size() > graph.inputs.size()) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("subgraph '{}' takes {} inputs, given {}", graph.name,
                            graph.inputs.size(), inputs.size()));
  }
  Env env;
  env.parent = &outer;
  for (size_t i = 0; i < inputs.size(); ++i)
    env.values[graph.inputs[i].name] = std::move(inputs[i]);
  return execute(graph, env);
}

// Runs `graph` in `env` (inputs already bound) and returns its outputs in order.
std::vector<Value> SubgraphRunner::execute(const Graph& graph, Env& env) {
  const Prepared& pg = prepared_.at(&graph);
  env.constants = &pg.constants;
  KernelContext::SubgraphRunner runner = [this, &env](const Graph& sub, std::vector<Value> inputs) {
    return run(sub, std::move(inputs), env);
  };
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    const ExecutionProvider& provider = *pg.providers[i];
    std::vector<const Value*> inputs;
    std::vector<Value> copies;  // device copies, kept alive for the kernel call
    copies.reserve(node.inputs.size());
    for (const std::string& name : node.inputs) {
      if (name.empty()) {
        inputs.push_back(nullptr);
        continue;
      }
      const Value* v = env.find(name);
      if (v == nullptr || is_absent(*v)) {
        inputs.push_back(nullptr);
        continue;
      }
      if (!on_device(provider, *v)) {
        copies.push_back(to_device_of(provider, *v, providers_));
        v = &copies.back();
      }
      inputs.push_back(v);
    }
    KernelContext ctx(node, std::move(inputs), node.outputs.size(), runner);
    call_kernel(pg.kernels[i], ctx, node, i);
    std::vector<Value>& outputs = ctx.outputs();
    for (size_t o = 0; o < node.outputs.size() && o < outputs.size(); ++o) {
      if (!node.outputs[o].empty()) env.values[node.outputs[o]] = std::move(outputs[o]);
    }
    for (const std::string& dead : pg.free_after[i]) env.values.erase(dead);
  }
  std::vector<Value> results;
  results.reserve(graph.outputs.size());
  std::map<std::string, int> uses;
  for (const ValueInfo& out : graph.outputs) ++uses[out.name];
  for (const ValueInfo& out : graph.outputs) {
    const auto local = env.values.find(out.name);
    if (local != env.values.end() && !graph.is_initializer(out.name) && uses[out.name] == 1) {
      results.push_back(std::move(local->second));
      env.values.erase(local);
      continue;
    }
    const Value* v = env.find(out.name);
    if (v == nullptr) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("graph '{}': output '{}' was not produced", graph.name, out.name));
    }
    results.push_back(v->clone());  // outer or initializer values stay owned by their scope
  }
  return results;
}

}  // namespace bog::runtime::session
