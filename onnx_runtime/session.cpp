// Session: placement -> provider passes -> kernels -> value slots -> run.
//
// The top-level graph runs over value slots indexed at session creation (no name lookups, no
// per-node allocation in the loop). The first run of each input shape records every value's
// size, lifetime and aliasing and turns them into that shape's memory plan (memory_plan.h);
// later runs of the shape hand the planned arena buffers to the kernels, keep the values that
// depend only on shapes, and skip pure view nodes. Subgraphs (If/Loop/Scan bodies) run through
// a name-keyed environment that reads the enclosing graphs' values.
#include "onnx_runtime/session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include "common/error.h"
#include "onnx_runtime/batch_split.h"
#include "onnx_runtime/graph_scope.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/memory_plan.h"
#include "onnx_runtime/providers/cpu/cpu_provider.h"
#include "onnx_runtime/providers/cpu/lane_reduction.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"

namespace bog::runtime {
namespace {

std::string describe(const Node& node, size_t index) {
  return fmt::format("node '{}' ({})", node_label(node, index), node.op_type);
}

bool is_absent(const Value& v) { return v.kind == ValueKind::kTensor && !v.tensor.defined(); }

std::string type_to_string(const TypeInfo& t) {
  return t.kind == ValueKind::kTensor ? std::string(dtype_name(t.elem_type)) : kind_name(t.kind);
}

// Ops whose output is a view of input 0: under a plan they are not run at all.
bool is_view_op(const Node& node) {
  static const std::set<std::string> kViews = {"Reshape", "Flatten", "Squeeze", "Unsqueeze",
                                               "Identity"};
  return node.domain.empty() && kViews.count(node.op_type) > 0;
}

// Ops that may not be evaluated once and reused, even when their inputs are fixed.
bool is_nondeterministic(const Node& node) {
  static const std::set<std::string> kRandom = {
      "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
      "Bernoulli",    "Multinomial",   "Dropout"};
  if (kRandom.count(node.op_type)) return true;
  for (const Attribute& a : node.attributes) {
    if (a.g || !a.graphs.empty()) return true;
  }
  return false;
}

// Thrown inside a planned run when a kernel's output did not land in its planned buffer
// (a data-dependent shape): the run is repeated without the plan.
struct PlanMismatch {};

struct TopLevel;

// Values visible while a subgraph runs: its own, then those of the graphs around it.
struct Env {
  std::unordered_map<std::string, Value> values;
  // The graph's initializers (views made once at session creation); values shadow them.
  const std::unordered_map<std::string, Value>* constants = nullptr;
  const Env* parent = nullptr;
  const TopLevel* top = nullptr;  // the top-level graph's slots, for the outermost scope

  const Value* find(const std::string& name) const;
};

// What the run loop needs per subgraph, computed once at session creation.
struct PreparedGraph {
  std::vector<KernelFn> kernels;                     // one per node, in node order
  std::vector<const ExecutionProvider*> providers;   // the provider that runs each node
  std::vector<std::vector<std::string>> free_after;  // values dead after node i
  std::unordered_map<std::string, Value> constants;  // views of the initializers
};

// One top-level node, ready to run: its kernel, its slots and its context.
struct Step {
  size_t node_index = 0;
  KernelFn kernel;
  const ExecutionProvider* provider = nullptr;
  std::vector<int> in_slots;    // -1: omitted input
  std::vector<int> out_slots;   // -1: unnamed output
  std::vector<int> free_after;  // slots dead after this step (unplanned runs)
  std::unique_ptr<KernelContext> ctx;
};

// The memory plan of one input signature.
struct Plan {
  std::vector<DType> input_dtypes;
  std::vector<Shape> input_shapes;
  bool disabled = false;  // the graph's shapes depend on data
  Arena arena;
  std::vector<Tensor> planned;                           // per slot: its arena buffer, if planned
  std::vector<std::vector<const Tensor*>> step_planned;  // per step, per output
  std::vector<char> skip;                                // per step: shape-only or view, not run
  std::vector<std::pair<int, Tensor>> installed;         // slot -> fixed value (shape-only or view)
};

// What one recorded (unplanned) run saw, per slot.
struct SlotRecord {
  bool produced = false;
  bool placed = false;  // came from allocate_output/output_uninit: plannable
  DType dtype = DType::kUndefined;
  Shape shape;
  size_t bytes = 0;
  int alias_root = -1;  // slot whose buffer this value lies in
  size_t alias_offset = 0;
  bool is_static = false;  // depends only on the input shapes
  Tensor static_value;
};

struct TopLevel {
  std::vector<std::string> slot_names;
  std::unordered_map<std::string, int> slot_of;
  std::vector<Value> slots;
  std::vector<char> is_constant;
  std::vector<char> is_graph_input;
  std::vector<int> input_slots;   // per graph input that is not an initializer
  std::vector<int> output_slots;  // per graph output
  std::vector<int> last_read;     // per slot: last step that reads it (steps.size() = output)
  std::vector<Step> steps;
  std::vector<std::unique_ptr<Plan>> plans;
  const Plan* installed_plan = nullptr;
  bool planning = true;  // false when a node runs on another device
};

const Value* Env::find(const std::string& name) const {
  for (const Env* e = this; e != nullptr; e = e->parent) {
    if (const auto it = e->values.find(name); it != e->values.end()) return &it->second;
    if (e->constants != nullptr) {
      if (const auto it = e->constants->find(name); it != e->constants->end()) return &it->second;
    }
    if (e->top != nullptr) {
      if (const auto it = e->top->slot_of.find(name); it != e->top->slot_of.end()) {
        const Value& v = e->top->slots[static_cast<size_t>(it->second)];
        if (!is_absent(v)) return &v;
      }
    }
  }
  return nullptr;
}

}  // namespace

struct Session::Impl {
  Model model;
  std::vector<std::shared_ptr<ExecutionProvider>> providers;
  bool strict = false;
  PlacementReport report;
  std::map<const Graph*, PreparedGraph> prepared;  // subgraphs
  TopLevel top;
  Env top_env;  // the outermost scope seen by subgraphs of top-level nodes
  NodeObserver observer;
  bool profiling = false;
  std::vector<NodeProfile> node_profile;  // top-level nodes, graph order
  OptimizationReport optimization;
  std::mutex run_mutex;

  // Batch splitting (batch_split.h): a separable graph runs a large batch in chunks whose
  // memory plan fits in L2.
  int batch_chunk = -1;  // SessionOptions::batch_chunk
  int threads = 1;
  std::vector<Tensor> split_inputs;   // the caller's whole inputs during a split run
  std::vector<Tensor> split_outputs;  // whole outputs, reused while the shape repeats
  struct ChunkSize {
    std::vector<Shape> sample_shapes;  // the inputs' shapes without dim 0
    int64_t chunk = 0;
  };
  std::vector<ChunkSize> chunk_sizes;
  Shape shape_scratch;  // a whole output's shape, built without allocating

  // Lanes: with several threads, a batch that would split runs as one contiguous part per
  // thread, each part in its own single-thread session (made at the first such batch), so every
  // op stays on one core with its cache-sized chunks instead of being shared between the cores.
  std::optional<SessionOptions> lane_options;  // only for sessions made from SessionOptions
  std::vector<std::unique_ptr<Session>> lanes;
  // The graph splits only into lanes that meet at whole-batch reductions (batch_split.h).
  bool lanes_sync = false;
  std::shared_ptr<KvCacheState> kv_cache;  // SessionOptions::kv_cache
  std::shared_ptr<cpu::LaneReduction> lane_reduction;
  std::unique_ptr<cpu::ThreadPool> lane_pool;  // one task per lane; the caller runs one
  std::vector<std::exception_ptr> lane_errors;
  std::vector<std::vector<Tensor>> lane_inputs;
  std::vector<std::vector<Tensor>> lane_outputs;

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
    prepare_top_level();
    const BatchSplitCheck split = check_batch_split(model.graph);
    lanes_sync = split.separable && top.planning && !split.lanes_only.empty();
    optimization.batch_split = split.separable && top.planning && !lanes_sync;
    optimization.batch_split_reason =
        !split.separable ? split.reason
        : !top.planning  ? "a node runs on another device (no memory plan)"
        : lanes_sync     ? split.lanes_only + " (lanes that share it, no chunks)"
                         : "";
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

  KernelFn make_kernel(const ExecutionProvider& p, const Node& node, size_t i) {
    try {
      return p.create_kernel(node);
    } catch (const Error& e) {
      throw Error(e.category(), fmt::format("{}: {}", describe(node, i), e.what()));
    }
  }

  void prepare_subgraphs(const Node& node) {
    for (const Attribute& a : node.attributes) {
      if (a.g) prepare_graph(*a.g);
      for (const auto& g : a.graphs) {
        if (g) prepare_graph(*g);
      }
    }
  }

  int slot(const std::string& name) {
    const auto [it, inserted] = top.slot_of.emplace(name, static_cast<int>(top.slot_names.size()));
    if (inserted) top.slot_names.push_back(name);
    return it->second;
  }

  void prepare_top_level() {
    const Graph& graph = model.graph;
    for (const auto& [name, tensor] : graph.initializers) slot(name);
    for (const ValueInfo& in : graph.inputs) slot(in.name);
    for (size_t i = 0; i < graph.nodes.size(); ++i) {
      const Node& node = graph.nodes[i];
      for (const std::string& in : node.inputs) {
        if (!in.empty()) slot(in);
      }
      for (const std::string& in : implicit_inputs(node)) slot(in);
      for (const std::string& o : node.outputs) {
        if (!o.empty()) slot(o);
      }
    }
    for (const ValueInfo& o : graph.outputs) slot(o.name);
    const size_t n_slots = top.slot_names.size();
    top.slots.resize(n_slots);  // never resized again: contexts point into it
    top.is_constant.assign(n_slots, 0);
    top.is_graph_input.assign(n_slots, 0);
    for (const auto& [name, tensor] : graph.initializers) {
      const int s = top.slot_of.at(name);
      top.slots[static_cast<size_t>(s)] = Value::from_tensor(tensor.view(tensor.shape()));
      top.is_constant[static_cast<size_t>(s)] = 1;
    }
    for (const ValueInfo& in : graph.inputs) {
      if (graph.is_initializer(in.name)) continue;  // a default the caller may override
      const int s = top.slot_of.at(in.name);
      top.input_slots.push_back(s);
      top.is_graph_input[static_cast<size_t>(s)] = 1;
    }
    for (const ValueInfo& o : graph.outputs) top.output_slots.push_back(top.slot_of.at(o.name));

    const size_t n = graph.nodes.size();
    top.last_read.assign(n_slots, -1);
    top_env.top = &top;
    KernelContext::SubgraphRunner runner = [this](const Graph& sub, std::vector<Value> inputs) {
      return run_subgraph(sub, std::move(inputs), top_env);
    };
    for (size_t i = 0; i < n; ++i) {
      const Node& node = graph.nodes[i];
      Step st;
      st.node_index = i;
      st.provider = provider_named(node.provider);
      if (st.provider->device() != Device::kCpu) top.planning = false;
      st.kernel = make_kernel(*st.provider, node, i);
      std::vector<const Value*> in_ptrs;
      for (const std::string& in : node.inputs) {
        const int s = in.empty() ? -1 : top.slot_of.at(in);
        st.in_slots.push_back(s);
        in_ptrs.push_back(s < 0 ? nullptr : &top.slots[static_cast<size_t>(s)]);
        if (s >= 0) top.last_read[static_cast<size_t>(s)] = static_cast<int>(i);
      }
      for (const std::string& in : implicit_inputs(node)) {
        top.last_read[static_cast<size_t>(top.slot_of.at(in))] = static_cast<int>(i);
      }
      std::vector<Value*> out_ptrs;
      for (const std::string& o : node.outputs) {
        const int s = o.empty() ? -1 : top.slot_of.at(o);
        st.out_slots.push_back(s);
        out_ptrs.push_back(s < 0 ? nullptr : &top.slots[static_cast<size_t>(s)]);
      }
      st.ctx =
          std::make_unique<KernelContext>(node, std::move(in_ptrs), std::move(out_ptrs), runner);
      prepare_subgraphs(node);
      top.steps.push_back(std::move(st));
    }
    for (const int s : top.output_slots)
      top.last_read[static_cast<size_t>(s)] = static_cast<int>(n);
    // Outputs nobody reads die right after their node; graph inputs and outputs and constants
    // are never freed by the loop.
    for (size_t i = 0; i < n; ++i) {
      Step& st = top.steps[i];
      for (const int s : st.out_slots) {
        if (s >= 0 && top.last_read[static_cast<size_t>(s)] < static_cast<int>(i)) {
          top.last_read[static_cast<size_t>(s)] = static_cast<int>(i);
        }
      }
    }
    for (size_t s = 0; s < n_slots; ++s) {
      const int last = top.last_read[s];
      if (top.is_constant[s] || last < 0 || last >= static_cast<int>(n)) continue;
      top.steps[static_cast<size_t>(last)].free_after.push_back(static_cast<int>(s));
    }
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

  // Calls one kernel with the errors every caller reports the same way.
  static void call_kernel(const KernelFn& kernel, KernelContext& ctx, const Node& node, size_t i) {
    try {
      kernel(ctx);
    } catch (const PlanMismatch&) {
      throw;
    } catch (const Error& e) {
      throw Error(e.category(), fmt::format("{}: {}", describe(node, i), e.what()));
    } catch (const std::bad_alloc&) {
      throw Error(ErrorCategory::kIo, fmt::format("{}: out of memory", describe(node, i)));
    } catch (const std::exception& e) {
      throw Error(ErrorCategory::kInternal, fmt::format("{}: {}", describe(node, i), e.what()));
    }
  }

  void record_profile(size_t i, const Node& node, const ExecutionProvider& provider,
                      std::chrono::steady_clock::time_point t0) {
    if (node_profile.size() != model.graph.nodes.size()) {
      node_profile.assign(model.graph.nodes.size(), NodeProfile{});
    }
    NodeProfile& np = node_profile[i];
    if (np.calls == 0) {
      np.node_name = node.name;
      np.op_type = node.op_type;
      np.provider = provider.name();
    }
    ++np.calls;
    np.total_ms +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }

  // Runs one top-level step. A step whose inputs are on another device gets a one-off context
  // over device copies; every other step uses its prepared context.
  void run_step(Step& st, const Plan* plan, size_t step_index) {
    const Node& node = model.graph.nodes[st.node_index];
    bool copies_needed = false;
    for (const int s : st.in_slots) {
      if (s >= 0 && !on_device(*st.provider, top.slots[static_cast<size_t>(s)])) {
        copies_needed = true;
      }
    }
    const auto t0 =
        profiling ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    if (copies_needed) {
      std::vector<Value> copies;
      copies.reserve(st.in_slots.size());
      std::vector<const Value*> inputs;
      for (const int s : st.in_slots) {
        if (s < 0 || is_absent(top.slots[static_cast<size_t>(s)])) {
          inputs.push_back(nullptr);
          continue;
        }
        const Value& v = top.slots[static_cast<size_t>(s)];
        if (on_device(*st.provider, v)) {
          inputs.push_back(&v);
        } else {
          copies.push_back(to_device_of(*st.provider, v));
          inputs.push_back(&copies.back());
        }
      }
      std::vector<Value*> outputs;
      for (const int s : st.out_slots) {
        outputs.push_back(s < 0 ? nullptr : &top.slots[static_cast<size_t>(s)]);
      }
      KernelContext ctx(node, std::move(inputs), std::move(outputs),
                        [this](const Graph& sub, std::vector<Value> in) {
                          return run_subgraph(sub, std::move(in), top_env);
                        });
      call_kernel(st.kernel, ctx, node, st.node_index);
    } else {
      KernelContext& ctx = *st.ctx;
      ctx.set_planned(plan != nullptr ? plan->step_planned[step_index].data() : nullptr);
      ctx.clear_placed();
      call_kernel(st.kernel, ctx, node, st.node_index);
    }
    if (profiling) record_profile(st.node_index, node, *st.provider, t0);
    if (observer) {
      std::vector<Value> outs;
      for (const int s : st.out_slots) {
        outs.push_back(s < 0 ? Value() : top.slots[static_cast<size_t>(s)].clone());
      }
      observer(node, outs);
    }
  }

  // An unplanned run (the first of a shape, or a graph whose shapes depend on data): fresh
  // buffers, values freed after their last use. With `record`, fills what the plan needs.
  void run_unplanned(std::vector<SlotRecord>* record) {
    const size_t n = top.steps.size();
    for (size_t i = 0; i < n; ++i) {
      Step& st = top.steps[i];
      for (const int s : st.out_slots) {
        if (s >= 0) top.slots[static_cast<size_t>(s)] = Value();
      }
      run_step(st, nullptr, i);
      if (record != nullptr) record_step(st, *record);
      for (const int s : st.free_after) {
        if (!top.is_graph_input[static_cast<size_t>(s)]) {
          top.slots[static_cast<size_t>(s)] = Value();
        }
      }
    }
  }

  // Notes sizes, placement and aliasing of the step's outputs, and whether they depend only on
  // the input shapes (then their values are kept for the plan).
  void record_step(const Step& st, std::vector<SlotRecord>& rec) {
    const Node& node = model.graph.nodes[st.node_index];
    bool fixed = !is_nondeterministic(node);
    const bool shape_only_op =
        node.domain.empty() && (node.op_type == "Shape" || node.op_type == "Size");
    for (const int s : st.in_slots) {
      if (s < 0) continue;
      const auto u = static_cast<size_t>(s);
      const bool known = top.is_constant[u] || rec[u].is_static;
      const bool shape_known = known || top.is_graph_input[u] || rec[u].placed;
      if (!(shape_only_op ? shape_known : known)) fixed = false;
    }
    for (size_t o = 0; o < st.out_slots.size(); ++o) {
      const int s = st.out_slots[o];
      if (s < 0) continue;
      SlotRecord& r = rec[static_cast<size_t>(s)];
      const Value& v = top.slots[static_cast<size_t>(s)];
      r.produced = true;
      if (v.kind != ValueKind::kTensor || !v.tensor.defined() ||
          v.tensor.dtype() == DType::kString) {
        fixed = false;
        continue;
      }
      r.dtype = v.tensor.dtype();
      r.shape = v.tensor.shape();
      r.bytes = v.tensor.nbytes();
      r.placed = st.ctx->output_was_placed(o);
      // Does the output lie inside one of the inputs' buffers (a view)?
      const auto* p = static_cast<const std::byte*>(v.tensor.raw());
      for (const int in : st.in_slots) {
        if (in < 0 || p == nullptr) continue;
        const Value& iv = top.slots[static_cast<size_t>(in)];
        if (iv.kind != ValueKind::kTensor || !iv.tensor.defined()) continue;
        const auto* b = static_cast<const std::byte*>(iv.tensor.raw());
        if (b != nullptr && p >= b && p < b + std::max<size_t>(iv.tensor.nbytes(), 1)) {
          const SlotRecord& ir = rec[static_cast<size_t>(in)];
          r.alias_root = ir.alias_root >= 0 ? ir.alias_root : in;
          r.alias_offset = (ir.alias_root >= 0 ? ir.alias_offset : 0) + static_cast<size_t>(p - b);
          r.placed = false;
          break;
        }
      }
    }
    if (!fixed) return;
    for (const int s : st.out_slots) {
      if (s < 0) continue;
      SlotRecord& r = rec[static_cast<size_t>(s)];
      r.is_static = true;
      r.placed = false;
      r.alias_root = -1;
      r.static_value = top.slots[static_cast<size_t>(s)].tensor.clone();
    }
  }

  std::unique_ptr<Plan> build_plan(std::vector<SlotRecord>& rec) {
    auto plan = std::make_unique<Plan>();
    for (const int s : top.input_slots) {
      const Tensor& t = top.slots[static_cast<size_t>(s)].tensor;
      plan->input_dtypes.push_back(t.dtype());
      plan->input_shapes.push_back(t.shape());
    }
    const size_t n = top.steps.size();
    const size_t n_slots = top.slots.size();
    plan->skip.assign(n, 0);
    plan->planned.resize(n_slots);
    // Lifetimes: a buffer lives from its producer to the last read of it or of any view of it.
    std::vector<int> first(n_slots, -1), last(n_slots, -1);
    for (size_t i = 0; i < n; ++i) {
      for (const int s : top.steps[i].out_slots) {
        if (s < 0) continue;
        const auto u = static_cast<size_t>(s);
        first[u] = static_cast<int>(i);
        last[u] = std::max(top.last_read[u], static_cast<int>(i));
        const int root = rec[u].alias_root;
        if (root >= 0) {
          const auto r = static_cast<size_t>(root);
          last[r] = std::max(last[r], last[u]);
        }
      }
    }
    std::vector<BufferRequest> requests;
    std::vector<int> request_slot;
    for (size_t u = 0; u < n_slots; ++u) {
      if (!rec[u].placed || rec[u].is_static || first[u] < 0) continue;
      requests.push_back({rec[u].bytes, first[u], last[u]});
      request_slot.push_back(static_cast<int>(u));
    }
    const MemoryPlan mp = plan_memory(requests);
    plan->arena = Arena(mp.arena_bytes);
    std::vector<std::byte*> base(n_slots, nullptr);
    for (size_t r = 0; r < requests.size(); ++r) {
      const auto u = static_cast<size_t>(request_slot[r]);
      base[u] = plan->arena.data() + mp.offsets[r];
      plan->planned[u] = Tensor::borrow(rec[u].dtype, rec[u].shape, base[u]);
    }
    for (size_t i = 0; i < n; ++i) {
      const Step& st = top.steps[i];
      const Node& node = model.graph.nodes[st.node_index];
      bool all_static = !st.out_slots.empty();
      for (const int s : st.out_slots) {
        if (s >= 0 && !rec[static_cast<size_t>(s)].is_static) all_static = false;
      }
      if (all_static) {
        plan->skip[i] = 1;
        for (const int s : st.out_slots) {
          if (s < 0) continue;
          Tensor& v = rec[static_cast<size_t>(s)].static_value;
          plan->installed.emplace_back(s, std::move(v));
        }
        continue;
      }
      // A view of a planned buffer: the view is fixed too, so the node need not run.
      if (is_view_op(node) && st.out_slots.size() == 1 && st.out_slots[0] >= 0) {
        const auto u = static_cast<size_t>(st.out_slots[0]);
        const int root = rec[u].alias_root;
        if (root >= 0 && base[static_cast<size_t>(root)] != nullptr) {
          plan->skip[i] = 1;
          plan->installed.emplace_back(
              st.out_slots[0],
              Tensor::borrow(rec[u].dtype, rec[u].shape,
                             base[static_cast<size_t>(root)] + rec[u].alias_offset));
        }
      }
    }
    plan->step_planned.resize(n);
    for (size_t i = 0; i < n; ++i) {
      for (const int s : top.steps[i].out_slots) {
        const Tensor* t = s >= 0 && plan->planned[static_cast<size_t>(s)].defined()
                              ? &plan->planned[static_cast<size_t>(s)]
                              : nullptr;
        plan->step_planned[i].push_back(t);
      }
    }
    optimization.planned_peak_bytes = static_cast<int64_t>(mp.arena_bytes);
    return plan;
  }

  Plan* find_plan() {
    for (auto& p : top.plans) {
      if (p->input_shapes.size() != top.input_slots.size()) continue;
      bool same = true;
      for (size_t k = 0; k < top.input_slots.size() && same; ++k) {
        const Tensor& t = top.slots[static_cast<size_t>(top.input_slots[k])].tensor;
        same = t.same_layout(p->input_dtypes[k], p->input_shapes[k]);
      }
      if (same) return p.get();
    }
    return nullptr;
  }

  void run_planned(Plan& plan) {
    if (top.installed_plan != &plan) {
      for (const auto& [s, t] : plan.installed) {
        Value& v = top.slots[static_cast<size_t>(s)];
        if (v.kind != ValueKind::kTensor) v = Value();
        v.tensor.assign_view_of(t);
      }
      top.installed_plan = &plan;
    }
    const size_t n = top.steps.size();
    for (size_t i = 0; i < n; ++i) {
      if (plan.skip[i]) continue;
      Step& st = top.steps[i];
      run_step(st, &plan, i);
      const std::vector<const Tensor*>& want = plan.step_planned[i];
      for (size_t o = 0; o < st.out_slots.size(); ++o) {
        if (want[o] != nullptr &&
            top.slots[static_cast<size_t>(st.out_slots[o])].tensor.raw() != want[o]->raw()) {
          throw PlanMismatch{};
        }
      }
    }
  }

  // Runs the top-level graph with its inputs already bound to their slots.
  void execute_top_level() {
    Plan* plan = top.planning ? find_plan() : nullptr;
    if (plan != nullptr && !plan->disabled) {
      try {
        run_planned(*plan);
        return;
      } catch (const PlanMismatch&) {
        plan->disabled = true;  // shapes depend on data: run unplanned from now on
      }
    }
    top.installed_plan = nullptr;
    if (plan != nullptr || !top.planning) {
      run_unplanned(nullptr);
      return;
    }
    std::vector<SlotRecord> rec(top.slots.size());
    run_unplanned(&rec);
    constexpr size_t kMaxPlans = 8;  // distinct input shapes kept
    if (top.plans.size() >= kMaxPlans) top.plans.erase(top.plans.begin());
    top.plans.push_back(build_plan(rec));
  }

  // --- batch splitting ------------------------------------------------------------------------

  // The batch size a split run would cover, or 0 to run the inputs whole.
  int64_t split_batch() const {
    if (!(optimization.batch_split || lanes_sync) || batch_chunk == 0 || observer) return 0;
    int64_t n = -1;
    for (const int s : top.input_slots) {
      const Value& v = top.slots[static_cast<size_t>(s)];
      if (v.kind != ValueKind::kTensor || !v.tensor.defined() || v.tensor.rank() == 0 ||
          v.tensor.device() != Device::kCpu || v.tensor.dtype() == DType::kString) {
        return 0;
      }
      if (n >= 0 && v.tensor.dim(0) != n) return 0;
      n = v.tensor.dim(0);
    }
    return n > 1 ? n : 0;
  }

  // Samples per chunk for these inputs: fixed, remembered, or 0 (measure it on one sample).
  int64_t known_chunk() const {
    if (batch_chunk > 0) return batch_chunk;
    // With several threads each op is shared between them, and ops on a cache-sized chunk are
    // too small to share well (measured: whole batches are faster at 2 threads).
    if (threads > 1) return std::numeric_limits<int64_t>::max();
    for (const ChunkSize& c : chunk_sizes) {
      bool same = c.sample_shapes.size() == top.input_slots.size();
      for (size_t k = 0; k < top.input_slots.size() && same; ++k) {
        const Shape& have = top.slots[static_cast<size_t>(top.input_slots[k])].tensor.shape();
        same = have.size() == c.sample_shapes[k].size() + 1 &&
               std::equal(have.begin() + 1, have.end(), c.sample_shapes[k].begin());
      }
      if (same) return c.chunk;
    }
    return 0;
  }

  // Enough samples that one chunk's memory plan fills about one core's L2 cache (0 bytes: no
  // plan to go by, batches run whole).
  void remember_chunk(size_t one_sample_bytes) {
    long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (l2 <= 0) l2 = 1 << 20;
    const size_t budget = static_cast<size_t>(l2);
    ChunkSize c;
    c.chunk = one_sample_bytes == 0
                  ? std::numeric_limits<int64_t>::max()
                  : static_cast<int64_t>(std::max<size_t>(1, budget / one_sample_bytes));
    for (const int s : top.input_slots) {
      const Shape& have = top.slots[static_cast<size_t>(s)].tensor.shape();
      c.sample_shapes.emplace_back(have.begin() + 1, have.end());
    }
    constexpr size_t kMaxRemembered = 8;
    if (chunk_sizes.size() >= kMaxRemembered) chunk_sizes.erase(chunk_sizes.begin());
    chunk_sizes.push_back(std::move(c));
  }

  // Copies `t`, rows [start, start + m) of output k, into the whole output k of n rows.
  void collect_rows(size_t k, const Tensor& t, int64_t start, int64_t m, int64_t n) {
    if (!t.defined() || t.rank() == 0 || t.dim(0) != m || t.device() != Device::kCpu ||
        t.dtype() == DType::kString) {
      throw Error(ErrorCategory::kInternal, "a chunk's output is not indexed by its samples");
    }
    Tensor& whole = split_outputs[k];
    if (start == 0) {
      shape_scratch.assign(t.shape().begin(), t.shape().end());
      shape_scratch[0] = n;
      if (!whole.same_layout(t.dtype(), shape_scratch)) {
        whole = Tensor::uninitialized(t.dtype(), shape_scratch);
      }
    }
    const size_t row = t.nbytes() / static_cast<size_t>(m);
    if (row > 0) {
      std::memcpy(static_cast<char*>(whole.raw()) + static_cast<size_t>(start) * row, t.raw(),
                  t.nbytes());
    }
  }

  // Copies chunk rows [start, start + m) of every output into the whole outputs.
  void collect_outputs(int64_t start, int64_t m, int64_t n) {
    split_outputs.resize(top.output_slots.size());
    for (size_t k = 0; k < top.output_slots.size(); ++k) {
      const Value& v = output_value(k);
      if (v.kind != ValueKind::kTensor) {
        throw Error(ErrorCategory::kInternal, "a chunk's output is not indexed by its samples");
      }
      collect_rows(k, v.tensor, start, m, n);
    }
  }

  // Puts the whole outputs (split_outputs) in the output slots.
  void install_whole_outputs() {
    for (size_t k = 0; k < top.output_slots.size(); ++k) {
      Value& v = top.slots[static_cast<size_t>(top.output_slots[k])];
      v.tensor.assign_view_of(split_outputs[k]);
    }
    top.installed_plan = nullptr;  // the output slots no longer show the plan's buffers
  }

  // --- lanes ----------------------------------------------------------------------------------

  bool use_lanes() const {
    return threads > 1 && lane_options.has_value() && optimization.batch_lanes > 1 && !profiling;
  }

  // A lane's copy of the optimized model: the same nodes, initializers shared (views). Only
  // separable graphs get lanes, and those have no subgraphs to share.
  Model lane_model() const {
    Model c;
    c.ir_version = model.ir_version;
    c.producer_name = model.producer_name;
    c.producer_version = model.producer_version;
    c.metadata = model.metadata;
    c.directory = model.directory;
    const Graph& g = model.graph;
    c.graph.name = g.name;
    c.graph.inputs = g.inputs;
    c.graph.outputs = g.outputs;
    c.graph.value_infos = g.value_infos;
    c.graph.nodes = g.nodes;
    c.graph.opsets = g.opsets;
    for (const auto& [name, t] : g.initializers)
      c.graph.initializers.emplace(name, t.view(t.shape()));
    return c;
  }

  // Runs the batch of n samples (in the input slots) as one contiguous part per lane.
  void execute_lanes(int64_t n) {
    const int count = threads;
    if (lanes.empty()) {
      SessionOptions o = *lane_options;
      o.threads = 1;
      o.optimize = false;  // the graph is already optimized
      for (int l = 0; l < count; ++l) lanes.push_back(std::make_unique<Session>(lane_model(), o));
      if (lanes_sync) {
        lane_reduction = std::make_shared<cpu::LaneReduction>(count);
        for (int l = 0; l < count; ++l) {
          for (const auto& p : lanes[static_cast<size_t>(l)]->impl_->providers) {
            if (auto* cpu = dynamic_cast<CpuProvider*>(p.get())) cpu->join_lanes(lane_reduction, l);
          }
        }
      }
      lane_pool = std::make_unique<cpu::ThreadPool>(count);
      lane_errors.resize(static_cast<size_t>(count));
      lane_inputs.resize(static_cast<size_t>(count));
      lane_outputs.resize(static_cast<size_t>(count));
    }
    // Lane l takes samples [l * per, l * per + rows(l)); `used` lanes have any.
    const int64_t per = (n + count - 1) / count;
    const int64_t used = (n + per - 1) / per;
    const auto rows = [&](int64_t l) { return std::min(per, n - l * per); };
    for (int64_t l = 0; l < used; ++l) {
      std::vector<Tensor>& in = lane_inputs[static_cast<size_t>(l)];
      in.resize(top.input_slots.size());
      for (size_t k = 0; k < in.size(); ++k) {
        in[k].assign_rows_of(top.slots[static_cast<size_t>(top.input_slots[k])].tensor, l * per,
                             rows(l));
      }
    }
    std::fill(lane_errors.begin(), lane_errors.end(), nullptr);
    if (lane_reduction) lane_reduction->start(static_cast<int>(used));
    lane_pool->parallel_for(used, [&](int64_t l) {
      const auto lu = static_cast<size_t>(l);
      try {
        lanes[lu]->run(lane_inputs[lu], lane_outputs[lu]);
      } catch (...) {
        lane_errors[lu] = std::current_exception();   // a pool task must not throw
        if (lane_reduction) lane_reduction->abort();  // no lane waits for this one
      }
      if (lane_reduction) lane_reduction->finish(static_cast<int>(l));
    });
    for (int64_t l = 0; l < used; ++l) {  // the caller's inputs are only borrowed
      for (Tensor& t : lane_inputs[static_cast<size_t>(l)]) t.assign_view_of(Tensor());
    }
    for (const std::exception_ptr& e : lane_errors) {
      if (e) std::rethrow_exception(e);
    }
    split_outputs.resize(top.output_slots.size());
    for (int64_t l = 0; l < used; ++l) {
      for (size_t k = 0; k < top.output_slots.size(); ++k) {
        collect_rows(k, lane_outputs[static_cast<size_t>(l)][k], l * per, rows(l), n);
      }
    }
    install_whole_outputs();
    // The memory this run planned is the lanes' arenas together.
    int64_t planned = 0;
    for (const auto& lane : lanes) planned += lane->impl_->optimization.planned_peak_bytes;
    optimization.planned_peak_bytes = planned;
  }

  // Runs the batch of n samples in chunks (0: one sample first, to size the rest by its plan).
  void execute_split(int64_t n, int64_t chunk) {
    const size_t n_in = top.input_slots.size();
    for (int64_t start = 0; start < n;) {
      const int64_t m = std::min(chunk == 0 ? 1 : chunk, n - start);
      for (size_t k = 0; k < n_in; ++k) {
        top.slots[static_cast<size_t>(top.input_slots[k])].tensor.assign_rows_of(split_inputs[k],
                                                                                 start, m);
      }
      execute_top_level();
      collect_outputs(start, m, n);
      if (chunk == 0) {
        // No plan (shapes that depend on data) or nothing in the arena: nothing to keep in
        // cache, so the rest of such batches runs whole.
        const Plan* plan = find_plan();
        const bool sized = plan != nullptr && !plan->disabled && plan->arena.size() > 0;
        remember_chunk(sized ? plan->arena.size() : 0);
        chunk = known_chunk();
      }
      start += m;
    }
    install_whole_outputs();
  }

  void hold_whole_inputs() {
    split_inputs.resize(top.input_slots.size());
    for (size_t k = 0; k < top.input_slots.size(); ++k) {
      split_inputs[k].assign_view_of(top.slots[static_cast<size_t>(top.input_slots[k])].tensor);
    }
  }

  // Puts the whole inputs back in their slots and lets go of them.
  void restore_whole_inputs() {
    for (size_t k = 0; k < top.input_slots.size() && k < split_inputs.size(); ++k) {
      top.slots[static_cast<size_t>(top.input_slots[k])].tensor.assign_view_of(split_inputs[k]);
      split_inputs[k].assign_view_of(Tensor());
    }
    top.installed_plan = nullptr;
  }

  void execute() {
    const int64_t n = split_batch();
    // Lanes that meet at a reduction must run side by side: on a pool's own thread the lane pool
    // would run them one after another (and the first would wait for the second forever).
    if (n > 0 && lanes_sync && (!use_lanes() || cpu::ThreadPool::on_pool_thread())) {
      execute_top_level();
      return;
    }
    if (n > 0 && use_lanes()) {
      try {
        execute_lanes(n);
      } catch (const std::exception& e) {
        // Run whole (a bad input fails here with its own error); if that works, the lanes
        // were at fault and this session stops using them.
        execute_top_level();
        optimization.batch_lanes = 0;
        optimization.batch_split_reason = fmt::format("a lane run failed: {}", e.what());
        spdlog::warn("batch lanes turned off: {}", optimization.batch_split_reason);
      }
      return;
    }
    const int64_t chunk = n == 0 ? 0 : known_chunk();
    if (n == 0 || (chunk > 0 && n <= chunk)) {
      execute_top_level();
      return;
    }
    hold_whole_inputs();
    try {
      execute_split(n, chunk);
      restore_whole_inputs();
    } catch (const std::exception& e) {
      // Run whole. If that works, splitting was at fault (something the analysis could not
      // see, such as a constant sized for one batch): this session stops splitting.
      restore_whole_inputs();
      execute_top_level();
      optimization.batch_split = false;
      optimization.batch_split_reason = fmt::format("a split run failed: {}", e.what());
      spdlog::warn("batch splitting turned off: {}", optimization.batch_split_reason);
    }
  }

  const Value& output_value(size_t k) const {
    const Value& v = top.slots[static_cast<size_t>(top.output_slots[k])];
    if (is_absent(v) && v.kind == ValueKind::kTensor &&
        !model.graph.is_initializer(model.graph.outputs[k].name)) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("graph '{}': output '{}' was not produced", model.graph.name,
                              model.graph.outputs[k].name));
    }
    return v;
  }

  // Runs `graph` (a subgraph) in `env` (inputs already bound) and returns its outputs in order.
  std::vector<Value> execute(const Graph& graph, Env& env) {
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
    return execute(graph, env);
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

  // Graph-input slots start empty (or as the initializer default) for every run.
  void reset_inputs() {
    const Graph& graph = model.graph;
    for (const ValueInfo& in : graph.inputs) {
      const auto s = static_cast<size_t>(top.slot_of.at(in.name));
      if (graph.is_initializer(in.name)) {
        const Tensor& t = graph.initializers.at(in.name);
        top.slots[s] = Value::from_tensor(t.view(t.shape()));
      } else {
        top.slots[s] = Value();
      }
    }
  }

  std::map<std::string, Value> run(std::map<std::string, Value> feeds) {
    const std::lock_guard<std::mutex> lock(run_mutex);
    const Graph& graph = model.graph;
    reset_inputs();
    std::set<std::string> fed;
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
      top.slots[static_cast<size_t>(top.slot_of.at(name))] = std::move(value);
      fed.insert(name);
    }
    for (const ValueInfo& in : graph.inputs) {
      if (!fed.count(in.name) && !graph.is_initializer(in.name)) {
        // An optional-typed input may be left out: it reads as "no value".
        if (in.type.kind == ValueKind::kOptional) {
          top.slots[static_cast<size_t>(top.slot_of.at(in.name))] = Value::none();
          continue;
        }
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("missing input '{}' ({})", in.name, type_to_string(in.type)));
      }
    }
    execute();
    std::map<std::string, Value> result;
    for (size_t k = 0; k < graph.outputs.size(); ++k) {
      result.emplace(graph.outputs[k].name, output_value(k).clone());
    }
    release_inputs();
    return result;
  }

  // The caller's input buffers are only borrowed for the run.
  void release_inputs() {
    for (const int s : top.input_slots) {
      Value& v = top.slots[static_cast<size_t>(s)];
      if (v.kind == ValueKind::kTensor) {
        v.tensor.assign_view_of(Tensor());
      } else {
        v = Value();
      }
    }
  }

  void run(std::span<const Tensor> inputs, std::vector<Tensor>& outputs) {
    const std::lock_guard<std::mutex> lock(run_mutex);
    const Graph& graph = model.graph;
    if (inputs.size() != top.input_slots.size()) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("the model takes {} inputs, given {}", top.input_slots.size(),
                              inputs.size()));
    }
    for (size_t k = 0; k < inputs.size(); ++k) {
      const auto s = static_cast<size_t>(top.input_slots[k]);
      const ValueInfo& info = *graph.find_input(top.slot_names[s]);
      Value& v = top.slots[s];
      if (v.kind != ValueKind::kTensor) v = Value();
      v.tensor.assign_view_of(inputs[k]);
      check_feed(info, v);
    }
    execute();
    outputs.resize(graph.outputs.size());
    for (size_t k = 0; k < graph.outputs.size(); ++k) {
      const Value& v = output_value(k);
      if (v.kind != ValueKind::kTensor) {
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("output '{}' is a {}; use run(feeds) for non-tensor outputs",
                                graph.outputs[k].name, kind_name(v.kind)));
      }
      const Tensor& t = v.tensor;
      Tensor& out = outputs[k];
      if (out.defined() && out.same_layout(t.dtype(), t.shape()) && t.dtype() != DType::kString &&
          out.device() == t.device() && out.raw() != nullptr && t.nbytes() > 0) {
        // An output bound to the buffer it was computed in (a KV cache appended in place).
        if (out.raw() != t.raw()) std::memcpy(out.raw(), t.raw(), t.nbytes());
      } else {
        out = t.clone();
      }
    }
    release_inputs();
  }
};

Session::Session(Model model, const SessionOptions& options) {
  std::vector<std::shared_ptr<ExecutionProvider>> providers;
  for (const std::string& name : options.providers) {
    providers.push_back(make_provider(name, options.threads, options.precision));
    if (options.kv_cache) {
      if (auto* cpu = dynamic_cast<CpuProvider*>(providers.back().get()))
        cpu->share_kv_cache(options.kv_cache);
    }
  }
  impl_ = std::make_unique<Impl>(std::move(model), std::move(providers), options.strict,
                                 options.optimize);
  impl_->threads = options.threads;
  impl_->kv_cache = options.kv_cache;
  // A cache appended in place lives in the caller's buffers: batches run whole, never split
  // into chunks or lanes whose outputs would be gathered by copying.
  impl_->batch_chunk = options.kv_cache ? 0 : options.batch_chunk;
  // For experiments without a rebuild: BOG_BATCH_CHUNK=N (0 = never split) wins over the option.
  if (const char* env = std::getenv("BOG_BATCH_CHUNK");
      !options.kv_cache && env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (*end != '\0' || v < 0) {
      throw Error(
          ErrorCategory::kInvalidArgument,
          fmt::format("BOG_BATCH_CHUNK must be a count of samples (0: off), got '{}'", env));
    }
    impl_->batch_chunk = static_cast<int>(v);
  }
  if (options.threads > 1 && impl_->batch_chunk != 0 &&
      (impl_->optimization.batch_split || impl_->lanes_sync)) {
    impl_->lane_options = options;
    impl_->optimization.batch_lanes = options.threads;
  }
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

void Session::run(std::span<const Tensor> inputs, std::vector<Tensor>& outputs) {
  impl_->run(inputs, outputs);
}

void Session::set_node_observer(NodeObserver observer) { impl_->observer = std::move(observer); }

void Session::set_profiling(bool on) {
  impl_->profiling = on;
  if (on) impl_->node_profile.clear();
}

std::vector<Session::NodeProfile> Session::profile() const { return impl_->node_profile; }

Session::OptimizationReport Session::optimization_report() const { return impl_->optimization; }

const Model& Session::model() const { return impl_->model; }
KvCacheState* Session::kv_cache_state() const { return impl_->kv_cache.get(); }
const PlacementReport& Session::placement() const {
  // The device providers count their boundary copies as they make them; the report carries
  // the totals so far (weights uploaded once, inputs and outputs of every run).
  TransferCounts& t = impl_->report.transfers;
  t = TransferCounts{};
  for (const auto& p : impl_->providers) {
    const TransferCounts c = p->transfers();
    t.host_to_device += c.host_to_device;
    t.device_to_host += c.device_to_host;
    t.bytes_host_to_device += c.bytes_host_to_device;
    t.bytes_device_to_host += c.bytes_device_to_host;
  }
  return impl_->report;
}

std::vector<ValueInfo> Session::input_infos() const {
  std::vector<ValueInfo> out;
  for (const ValueInfo& v : impl_->model.graph.inputs) {
    if (!impl_->model.graph.is_initializer(v.name)) out.push_back(v);
  }
  return out;
}

std::vector<ValueInfo> Session::output_infos() const { return impl_->model.graph.outputs; }

}  // namespace bog::runtime
