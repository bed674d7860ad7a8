// Session: placement -> provider passes -> kernels -> plan (last use of every value) -> run.
// Subgraphs (If/Loop/Scan bodies) are placed on the same providers and run by the same loop,
// reading names they do not define from the enclosing scopes.
#include "onnx_runtime/session.h"

#include <fmt/format.h>

#include <chrono>
#include <unordered_map>

#include "common/error.h"
#include "onnx_runtime/graph_scope.h"
#include "onnx_runtime/loader.h"

namespace bog::runtime {
namespace {

// Values visible while one graph runs: its own, then those of the graphs around it.
struct Env {
  std::unordered_map<std::string, Value> values;
  // The graph's initializers (views made once at session creation); values shadow them.
  const std::unordered_map<std::string, Value>* constants = nullptr;
  const Env* parent = nullptr;

  const Value* find(const std::string& name) const {
    for (const Env* e = this; e != nullptr; e = e->parent) {
      if (const auto it = e->values.find(name); it != e->values.end()) return &it->second;
      if (e->constants == nullptr) continue;
      if (const auto it = e->constants->find(name); it != e->constants->end()) return &it->second;
    }
    return nullptr;
  }
};

// What the run loop needs per graph, computed once at session creation.
struct PreparedGraph {
  std::vector<KernelFn> kernels;                     // one per node, in node order
  std::vector<const ExecutionProvider*> providers;   // the provider that runs each node
  std::vector<std::vector<std::string>> free_after;  // values dead after node i
  std::unordered_map<std::string, Value> constants;  // views of the initializers
};

std::string describe(const Node& node, size_t index) {
  return fmt::format("node '{}' ({})", node_label(node, index), node.op_type);
}

bool is_absent(const Value& v) { return v.kind == ValueKind::kTensor && !v.tensor.defined(); }

std::string type_to_string(const TypeInfo& t) {
  return t.kind == ValueKind::kTensor ? std::string(dtype_name(t.elem_type)) : kind_name(t.kind);
}

}  // namespace

struct Session::Impl {
  Model model;
  std::vector<std::shared_ptr<ExecutionProvider>> providers;
  bool strict = false;
  PlacementReport report;
  std::map<const Graph*, PreparedGraph> prepared;
  NodeObserver observer;
  bool profiling = false;
  std::vector<NodeProfile> node_profile;  // top-level nodes, graph order
  OptimizationReport optimization;

  Impl(Model m, std::vector<std::shared_ptr<ExecutionProvider>> p, bool s, bool optimize)
      : model(std::move(m)), providers(std::move(p)), strict(s) {
    if (providers.empty()) {
      throw Error(ErrorCategory::kInvalidArgument, "no execution provider requested");
    }
    for (const auto& p : providers) {
      if (!p) throw Error(ErrorCategory::kInvalidArgument, "null execution provider");
    }
    place_graph(model.graph, "", nullptr);
    optimization.nodes_before = static_cast<int>(model.graph.nodes.size());
    if (optimize) {
      for (const auto& p : providers) {
        if (!p->available()) continue;
        p->optimize(model.graph);
        for (const auto& pc : p->pass_counts()) optimization.passes.emplace_back(p->name(), pc);
      }
    }
    optimization.nodes_after = static_cast<int>(model.graph.nodes.size());
    // Passes may add or replace nodes: place again so the report shows the final graph.
    report = PlacementReport{};
    for (const auto& p : providers) report.requested.push_back(p->name());
    place_graph(model.graph, "", &report);
    for (const auto& p : providers) {
      if (report.nodes_per_provider.count(p->name())) report.used.push_back(p->name());
    }
    prepare_graph(model.graph);
  }

  // Assigns every node (subgraphs included) to the first available provider that claims it.
  void place_graph(Graph& graph, const std::string& prefix, PlacementReport* out) {
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
      Node& node = graph.nodes[i];
      NodePlacement placement;
      placement.node = prefix + node_label(node, i);
      placement.op_type = node.op_type;
      node.provider.clear();
      for (const auto& p : providers) {
        if (!p->available()) {
          const std::string why = p->unavailable_reason();
          placement.fallback_reasons.push_back(
              fmt::format("{}: {}", p->name(), why.empty() ? "not available" : why));
          continue;
        }
        const Claim claim = p->claims(node);
        if (claim) {
          node.provider = p->name();
          break;
        }
        placement.fallback_reasons.push_back(fmt::format(
            "{}: {}", p->name(),
            claim.reason.empty() ? fmt::format("op {} not claimed", node.op_type) : claim.reason));
      }
      if (node.provider.empty()) {
        throw Error(
            ErrorCategory::kUnsupported,
            fmt::format("{}: op {}{} (opset {}) is not supported by any requested "
                        "provider: {}",
                        describe(node, i), node.domain.empty() ? "" : node.domain + ":",
                        node.op_type, node.opset, fmt::join(placement.fallback_reasons, "; ")));
      }
      if (strict && !placement.fallback_reasons.empty()) {
        throw Error(ErrorCategory::kProviderUnavailable,
                    fmt::format("strict placement: {}{} would fall back to {}: {}", prefix,
                                describe(node, i), node.provider,
                                fmt::join(placement.fallback_reasons, "; ")));
      }
      for (Attribute& a : node.attributes) {
        const std::string sub = prefix + node_label(node, i) + "/";
        if (a.g) place_graph(*a.g, sub, out);
        for (auto& g : a.graphs) {
          if (g) place_graph(*g, sub, out);
        }
      }
      if (out != nullptr) {
        placement.provider = node.provider;
        ++out->nodes_per_provider[node.provider];
        out->nodes.push_back(std::move(placement));
      }
    }
  }

  const ExecutionProvider* provider_named(const std::string& name) const {
    for (const auto& p : providers) {
      if (p->name() == name) return p.get();
    }
    throw Error(ErrorCategory::kInternal,
                fmt::format("node placed on unknown provider '{}'", name));
  }

  void prepare_graph(const Graph& graph) {
    PreparedGraph pg;
    for (const auto& [name, tensor] : graph.initializers) {
      pg.constants.emplace(name, Value::from_tensor(tensor.view(tensor.shape())));
    }
    const size_t n = graph.nodes.size();
    std::map<std::string, size_t> last_use;
    for (size_t i = 0; i < n; ++i) {
      const Node& node = graph.nodes[i];
      const ExecutionProvider* p = provider_named(node.provider);
      pg.providers.push_back(p);
      try {
        pg.kernels.push_back(p->create_kernel(node));
      } catch (const Error& e) {
        throw Error(e.category(), fmt::format("{}: {}", describe(node, i), e.what()));
      }
      for (const std::string& in : node.inputs) {
        if (!in.empty()) last_use[in] = i;
      }
      for (const std::string& in : implicit_inputs(node)) last_use[in] = i;
      // Outputs nobody reads die right after their node.
      for (const std::string& o : node.outputs) {
        if (!o.empty() && !last_use.count(o)) last_use[o] = i;
      }
      for (const Attribute& a : node.attributes) {
        if (a.g) prepare_graph(*a.g);
        for (const auto& g : a.graphs) {
          if (g) prepare_graph(*g);
        }
      }
    }
    for (const ValueInfo& v : graph.outputs) last_use.erase(v.name);
    pg.free_after.resize(n);
    for (const auto& [name, i] : last_use) pg.free_after[i].push_back(name);
    prepared[&graph] = std::move(pg);
  }

  // Inputs on the provider's device; copies happen only where devices differ.
  Value to_device_of(const ExecutionProvider& p, const Value& v) const {
    auto convert = [&](const Tensor& t) {
      if (t.device() == p.device()) return t.view(t.shape());
      if (p.device() != Device::kCpu) return p.to_device(t);
      for (const auto& q : providers) {
        if (q->device() == t.device()) return q->to_host(t);
      }
      throw Error(ErrorCategory::kInternal, "no provider can copy a tensor to the host");
    };
    Value out;
    out.kind = v.kind;
    if (v.kind == ValueKind::kTensor && v.tensor.defined()) out.tensor = convert(v.tensor);
    for (const Tensor& t : v.sequence) out.sequence.push_back(convert(t));
    out.sequence_dtype = v.sequence_dtype;
    if (v.optional) out.optional = std::make_unique<Value>(to_device_of(p, *v.optional));
    return out;
  }

  static bool on_device(const ExecutionProvider& p, const Value& v) {
    if (v.kind == ValueKind::kTensor) return !v.tensor.defined() || v.tensor.device() == p.device();
    for (const Tensor& t : v.sequence) {
      if (t.device() != p.device()) return false;
    }
    return !v.optional || on_device(p, *v.optional);
  }

  // Runs `graph` in `env` (inputs already bound) and returns its outputs in order.
  std::vector<Value> execute(const Graph& graph, Env& env, bool top_level) {
    const PreparedGraph& pg = prepared.at(&graph);
    env.constants = &pg.constants;
    KernelContext::SubgraphRunner runner = [this, &env](const Graph& sub,
                                                        std::vector<Value> inputs) {
      return run_subgraph(sub, std::move(inputs), env);
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
          copies.push_back(to_device_of(provider, *v));
          v = &copies.back();
        }
        inputs.push_back(v);
      }
      KernelContext ctx(node, std::move(inputs), node.outputs.size(), runner);
      const bool timed = top_level && profiling;
      const auto t0 =
          timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
      try {
        pg.kernels[i](ctx);
        if (timed) {
          if (node_profile.size() != graph.nodes.size()) {
            node_profile.assign(graph.nodes.size(), NodeProfile{});
          }
          NodeProfile& np = node_profile[i];
          if (np.calls == 0) {
            np.node_name = node.name;
            np.op_type = node.op_type;
            np.provider = provider.name();
          }
          ++np.calls;
          np.total_ms +=
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                  .count();
        }
      } catch (const Error& e) {
        throw Error(e.category(), fmt::format("{}: {}", describe(node, i), e.what()));
      } catch (const std::bad_alloc&) {
        throw Error(ErrorCategory::kIo, fmt::format("{}: out of memory", describe(node, i)));
      } catch (const std::exception& e) {
        throw Error(ErrorCategory::kInternal, fmt::format("{}: {}", describe(node, i), e.what()));
      }
      std::vector<Value>& outputs = ctx.outputs();
      if (top_level && observer) observer(node, outputs);
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

  std::vector<Value> run_subgraph(const Graph& graph, std::vector<Value> inputs, const Env& outer) {
    if (inputs.size() > graph.inputs.size()) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("subgraph '{}' takes {} inputs, given {}", graph.name,
                              graph.inputs.size(), inputs.size()));
    }
    Env env;
    env.parent = &outer;
    for (size_t i = 0; i < inputs.size(); ++i)
      env.values[graph.inputs[i].name] = std::move(inputs[i]);
    return execute(graph, env, false);
  }

  void check_feed(const ValueInfo& info, const Value& v) const {
    const TypeInfo& t = info.type;
    if (v.kind != t.kind) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("input '{}' expects a {}, got a {}", info.name, kind_name(t.kind),
                              kind_name(v.kind)));
    }
    if (v.kind != ValueKind::kTensor) return;
    if (!v.tensor.defined()) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("input '{}' is an undefined tensor", info.name));
    }
    if (t.elem_type != DType::kUndefined && v.tensor.dtype() != t.elem_type) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("input '{}' expects {}, got {}", info.name, type_to_string(t),
                              dtype_name(v.tensor.dtype())));
    }
    if (t.has_shape && static_cast<size_t>(v.tensor.rank()) != t.shape.size()) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("input '{}' expects rank {}, got shape {}", info.name, t.shape.size(),
                              shape_to_string(v.tensor.shape())));
    }
  }

  std::map<std::string, Value> run(std::map<std::string, Value> feeds) {
    const Graph& graph = model.graph;
    Env env;
    for (auto& [name, value] : feeds) {
      const ValueInfo* info = graph.find_input(name);
      if (info == nullptr) {
        std::vector<std::string> names;
        for (const ValueInfo& v : graph.inputs) names.push_back(v.name);
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("'{}' is not an input of the model (inputs: {})", name,
                                fmt::join(names, ", ")));
      }
      check_feed(*info, value);
      env.values.emplace(name, std::move(value));
    }
    for (const ValueInfo& in : graph.inputs) {
      if (!env.values.count(in.name) && !graph.is_initializer(in.name)) {
        // An optional-typed input may be left out: it reads as "no value".
        if (in.type.kind == ValueKind::kOptional) {
          env.values.emplace(in.name, Value::none());
          continue;
        }
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("missing input '{}' ({})", in.name, type_to_string(in.type)));
      }
    }
    std::vector<Value> outs = execute(graph, env, true);
    std::map<std::string, Value> result;
    for (size_t i = 0; i < outs.size(); ++i)
      result.emplace(graph.outputs[i].name, std::move(outs[i]));
    return result;
  }
};

Session::Session(Model model, const SessionOptions& options) {
  std::vector<std::shared_ptr<ExecutionProvider>> providers;
  for (const std::string& name : options.providers) {
    providers.push_back(make_provider(name, options.threads));
  }
  impl_ = std::make_unique<Impl>(std::move(model), std::move(providers), options.strict,
                                 options.optimize);
}

Session::Session(Model model, std::vector<std::shared_ptr<ExecutionProvider>> providers,
                 bool strict, bool optimize)
    : impl_(std::make_unique<Impl>(std::move(model), std::move(providers), strict, optimize)) {}

Session Session::from_file(const std::filesystem::path& path, const SessionOptions& options) {
  return Session(load_model(path), options);
}

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

std::map<std::string, Value> Session::run(std::map<std::string, Value> feeds) {
  return impl_->run(std::move(feeds));
}

void Session::set_node_observer(NodeObserver observer) { impl_->observer = std::move(observer); }

void Session::set_profiling(bool on) {
  impl_->profiling = on;
  if (on) impl_->node_profile.clear();
}

std::vector<Session::NodeProfile> Session::profile() const { return impl_->node_profile; }

Session::OptimizationReport Session::optimization_report() const { return impl_->optimization; }

const Model& Session::model() const { return impl_->model; }
const PlacementReport& Session::placement() const { return impl_->report; }

std::vector<ValueInfo> Session::input_infos() const {
  std::vector<ValueInfo> out;
  for (const ValueInfo& v : impl_->model.graph.inputs) {
    if (!impl_->model.graph.is_initializer(v.name)) out.push_back(v);
  }
  return out;
}

std::vector<ValueInfo> Session::output_infos() const { return impl_->model.graph.outputs; }

}  // namespace bog::runtime
