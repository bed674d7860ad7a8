// The run loop of the top-level graph (step_executor.h).
#include "onnx_runtime/session/step_executor.h"

#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/graph_scope.h"
#include "onnx_runtime/session/placement.h"

namespace bog::runtime::session {

StepExecutor::StepExecutor(const Graph& graph, const Providers& providers,
                           int64_t& planned_peak_bytes)
    : graph_(graph),
      providers_(providers),
      planned_peak_bytes_(planned_peak_bytes),
      subgraphs_(providers) {
  prepare();
}

// Slots for every value name, then one step per node with its kernel and context.
void StepExecutor::prepare() {
  ValueSlots& slots = top_.slots;
  const auto slot = [&slots](const std::string& name) {
    const auto inserted = slots.index.emplace(name, static_cast<int>(slots.names.size()));
    if (inserted.second) slots.names.push_back(name);
  };
  for (const auto& [name, tensor] : graph_.initializers) slot(name);
  for (const ValueInfo& in : graph_.inputs) slot(in.name);
  for (const Node& node : graph_.nodes) {
    for (const std::string& in : node.inputs) {
      if (!in.empty()) slot(in);
    }
    for (const std::string& in : implicit_inputs(node)) slot(in);
    for (const std::string& o : node.outputs) {
      if (!o.empty()) slot(o);
    }
  }
  for (const ValueInfo& o : graph_.outputs) slot(o.name);
  const size_t n_slots = slots.names.size();
  slots.values.resize(n_slots);  // never resized again: contexts point into it
  top_.is_constant.assign(n_slots, 0);
  top_.is_graph_input.assign(n_slots, 0);
  for (const auto& [name, tensor] : graph_.initializers) {
    const int s = slots.index.at(name);
    slots[s] = Value::from_tensor(tensor.view(tensor.shape()));
    top_.is_constant[static_cast<size_t>(s)] = 1;
  }
  for (const ValueInfo& in : graph_.inputs) {
    if (graph_.is_initializer(in.name)) continue;  // a default the caller may override
    const int s = slots.index.at(in.name);
    top_.input_slots.push_back(s);
    top_.is_graph_input[static_cast<size_t>(s)] = 1;
  }
  for (const ValueInfo& o : graph_.outputs) top_.output_slots.push_back(slots.index.at(o.name));

  const size_t n = graph_.nodes.size();
  top_.last_read.assign(n_slots, -1);
  top_env_.top = &top_.slots;
  const KernelContext::SubgraphRunner runner = [this](const Graph& sub, std::vector<Value> inputs) {
    return run_subgraph(sub, std::move(inputs));
  };
  for (size_t i = 0; i < n; ++i) {
    const Node& node = graph_.nodes[i];
    Step st;
    st.node_index = i;
    st.provider = &provider_named(providers_, node.provider);
    if (st.provider->device() != Device::kCpu) top_.planning = false;
    st.kernel = make_kernel(*st.provider, node, i);
    std::vector<const Value*> in_ptrs;
    for (const std::string& in : node.inputs) {
      const int s = in.empty() ? -1 : slots.index.at(in);
      st.in_slots.push_back(s);
      in_ptrs.push_back(s < 0 ? nullptr : &slots[s]);
      if (s >= 0) top_.last_read[static_cast<size_t>(s)] = static_cast<int>(i);
    }
    for (const std::string& in : implicit_inputs(node)) {
      top_.last_read[static_cast<size_t>(slots.index.at(in))] = static_cast<int>(i);
    }
    std::vector<Value*> out_ptrs;
    for (const std::string& o : node.outputs) {
      const int s = o.empty() ? -1 : slots.index.at(o);
      st.out_slots.push_back(s);
      out_ptrs.push_back(s < 0 ? nullptr : &slots[s]);
    }
    st.ctx = std::make_unique<KernelContext>(node, std::move(in_ptrs), std::move(out_ptrs), runner);
    subgraphs_.prepare_subgraphs(node);
    top_.steps.push_back(std::move(st));
  }
  for (const int s : top_.output_slots) {
    top_.last_read[static_cast<size_t>(s)] = static_cast<int>(n);
  }
  // Outputs nobody reads die right after their node; graph inputs and outputs and constants
  // are never freed by the loop.
  for (size_t i = 0; i < n; ++i) {
    for (const int s : top_.steps[i].out_slots) {
      if (s >= 0 && top_.last_read[static_cast<size_t>(s)] < static_cast<int>(i)) {
        top_.last_read[static_cast<size_t>(s)] = static_cast<int>(i);
      }
    }
  }
  for (size_t s = 0; s < n_slots; ++s) {
    const int last = top_.last_read[s];
    if (top_.is_constant[s] || last < 0 || last >= static_cast<int>(n)) continue;
    top_.steps[static_cast<size_t>(last)].free_after.push_back(static_cast<int>(s));
  }
}

std::vector<Value> StepExecutor::run_subgraph(const Graph& sub, std::vector<Value> inputs) {
  return subgraphs_.run(sub, std::move(inputs), top_env_);
}

const Value& StepExecutor::output(size_t k) const {
  const Value& v = top_.slots[top_.output_slots[k]];
  if (is_absent(v) && v.kind == ValueKind::kTensor &&
      !graph_.is_initializer(graph_.outputs[k].name)) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("graph '{}': output '{}' was not produced", graph_.name,
                            graph_.outputs[k].name));
  }
  return v;
}

void StepExecutor::set_profiling(bool on) {
  profiling_ = on;
  if (on) node_profile_.clear();
}

void StepExecutor::record_profile(const Step& st, std::chrono::steady_clock::time_point t0) {
  if (node_profile_.size() != graph_.nodes.size()) {
    node_profile_.assign(graph_.nodes.size(), Session::NodeProfile{});
  }
  const Node& node = graph_.nodes[st.node_index];
  Session::NodeProfile& np = node_profile_[st.node_index];
  if (np.calls == 0) {
    np.node_name = node.name;
    np.op_type = node.op_type;
    np.provider = st.provider->name();
  }
  ++np.calls;
  np.total_ms +=
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// One step. A step whose inputs are on another device gets a one-off context over device
// copies; every other step uses its prepared context.
void StepExecutor::run_step(Step& st, const Plan* plan, size_t step_index) {
  const Node& node = graph_.nodes[st.node_index];
  bool copies_needed = false;
  for (const int s : st.in_slots) {
    if (s >= 0 && !on_device(*st.provider, top_.slots[s])) copies_needed = true;
  }
  const auto t0 =
      profiling_ ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
  if (copies_needed) {
    std::vector<Value> copies;
    copies.reserve(st.in_slots.size());
    std::vector<const Value*> inputs;
    for (const int s : st.in_slots) {
      if (s < 0 || is_absent(top_.slots[s])) {
        inputs.push_back(nullptr);
        continue;
      }
      const Value& v = top_.slots[s];
      if (on_device(*st.provider, v)) {
        inputs.push_back(&v);
      } else {
        copies.push_back(to_device_of(*st.provider, v, providers_));
        inputs.push_back(&copies.back());
      }
    }
    std::vector<Value*> outputs;
    for (const int s : st.out_slots) outputs.push_back(s < 0 ? nullptr : &top_.slots[s]);
    KernelContext ctx(node, std::move(inputs), std::move(outputs),
                      [this](const Graph& sub, std::vector<Value> in) {
                        return run_subgraph(sub, std::move(in));
                      });
    call_kernel(st.kernel, ctx, node, st.node_index);
  } else {
    KernelContext& ctx = *st.ctx;
    ctx.set_planned(plan != nullptr ? plan->step_planned[step_index].data() : nullptr,
                    plan != nullptr && plan->stretches);
    ctx.clear_placed();
    call_kernel(st.kernel, ctx, node, st.node_index);
  }
  if (profiling_) record_profile(st, t0);
  if (observer_) {
    std::vector<Value> outs;
    for (const int s : st.out_slots) outs.push_back(s < 0 ? Value() : top_.slots[s].clone());
    observer_(node, outs);
  }
}

// An unplanned run (the first of a shape, or a graph whose shapes depend on data): fresh
// buffers, values freed after their last use. With `record`, fills what the plan needs.
void StepExecutor::run_unplanned(std::vector<SlotRecord>* record) {
  const size_t n = top_.steps.size();
  for (size_t i = 0; i < n; ++i) {
    Step& st = top_.steps[i];
    for (const int s : st.out_slots) {
      if (s >= 0) top_.slots[s] = Value();
    }
    run_step(st, nullptr, i);
    if (record != nullptr) record_step(top_, graph_.nodes[st.node_index], st, *record);
    for (const int s : st.free_after) {
      if (!top_.is_graph_input[static_cast<size_t>(s)]) top_.slots[s] = Value();
    }
  }
}

// A planned run: the plan's fixed values are in their slots, kernels write into the arena.
void StepExecutor::run_planned(Plan& plan) {
  if (installed_plan_ != &plan) {
    for (const auto& [s, t] : plan.installed) {
      Value& v = top_.slots[s];
      if (v.kind != ValueKind::kTensor) v = Value();
      v.tensor.assign_view_of(t);
    }
    installed_plan_ = &plan;
  }
  const size_t n = top_.steps.size();
  for (size_t i = 0; i < n; ++i) {
    if (plan.skip[i]) continue;
    Step& st = top_.steps[i];
    run_step(st, &plan, i);
    const std::vector<const Tensor*>& want = plan.step_planned[i];
    for (size_t o = 0; o < st.out_slots.size(); ++o) {
      if (want[o] != nullptr && top_.slots[st.out_slots[o]].tensor.raw() != want[o]->raw()) {
        throw PlanMismatch{};
      }
    }
    // A stretching plan kept what was computed from these shapes: they must not have grown.
    if (!plan.stretches) continue;
    for (const auto& [s, shape] : plan.step_fixed_shapes[i]) {
      const Value& v = top_.slots[s];
      if (v.kind != ValueKind::kTensor || v.tensor.shape() != *shape) throw PlanMismatch{};
    }
  }
}

void StepExecutor::run() {
  Plan* plan = top_.planning ? find_plan(top_, plans_) : nullptr;
  if (plan != nullptr && !plan->disabled) {
    try {
      run_planned(*plan);
      unused_plans_ = 0;
      return;
    } catch (const PlanMismatch&) {
      plan->disabled = true;  // shapes depend on data: run unplanned from now on
    }
  }
  installed_plan_ = nullptr;
  if (plan != nullptr || !top_.planning) {
    run_unplanned(nullptr);
    return;
  }
  const int64_t capacity = length_capacity_ != nullptr ? length_capacity_->load() : 0;
  if (capacity > 0) {
    record_for_stretching(capacity);
    return;
  }
  record_and_plan();
}

// Shape-exact plans: a run of a new signature is recorded and becomes its plan.
void StepExecutor::record_and_plan() {
  constexpr int kUnusedPlans = 4;
  if (unused_plans_ >= kUnusedPlans && !repeats_last_signature()) {
    run_unplanned(nullptr);
    return;
  }
  std::vector<SlotRecord> rec(top_.slots.values.size());
  run_unplanned(&rec);
  constexpr size_t kMaxPlans = 8;  // distinct input shapes kept
  if (plans_.size() >= kMaxPlans) plans_.erase(plans_.begin());
  plans_.push_back(build_plan(top_, graph_, rec));
  planned_peak_bytes_ = static_cast<int64_t>(plans_.back()->arena.size());
  ++unused_plans_;
}

// With a length capacity every unplanned run is recorded; the second of two runs whose inputs
// differ only in growing dims makes a stretching plan, any other one a plan of its own shapes.
void StepExecutor::record_for_stretching(int64_t capacity) {
  auto rec = std::make_unique<RecordedRun>();
  for (const int s : top_.input_slots) {
    const Tensor& t = top_.slots[s].tensor;
    rec->input_dtypes.push_back(t.dtype());
    rec->input_shapes.push_back(t.shape());
  }
  rec->slots.resize(top_.slots.values.size());
  run_unplanned(&rec->slots);
  constexpr size_t kMaxPlans = 8;
  if (plans_.size() >= kMaxPlans) plans_.erase(plans_.begin());
  std::unique_ptr<Plan> stretching;
  if (last_record_) {
    stretching = build_stretching_plan(top_, graph_, *last_record_, *rec, capacity);
  }
  if (stretching) {
    plans_.push_back(std::move(stretching));
    last_record_.reset();
  } else {
    plans_.push_back(build_plan(top_, graph_, rec->slots));
    last_record_ = std::move(rec);  // its sizes and shapes, for the next run to pair with
  }
  planned_peak_bytes_ = static_cast<int64_t>(plans_.back()->arena.size());
}

// Whether the bound inputs have the previous unplanned run's dtypes and shapes; notes them.
bool StepExecutor::repeats_last_signature() {
  const size_t n = top_.input_slots.size();
  bool same = last_shapes_.size() == n;
  for (size_t k = 0; k < n && same; ++k)
    same = top_.slots[input_slot(k)].tensor.same_layout(last_dtypes_[k], last_shapes_[k]);
  if (same) return true;
  last_dtypes_.resize(n);
  last_shapes_.resize(n);
  for (size_t k = 0; k < n; ++k) {
    const Tensor& t = top_.slots[input_slot(k)].tensor;
    last_dtypes_[k] = t.dtype();
    last_shapes_[k].assign(t.shape().begin(), t.shape().end());
  }
  return false;
}

size_t StepExecutor::plan_bytes_for_inputs() const {
  const Plan* plan = find_plan(top_, plans_);
  return plan != nullptr && !plan->disabled ? plan->arena.size() : 0;
}

}  // namespace bog::runtime::session
