// Session: load -> placement -> provider passes -> placement again -> step executor -> batch
// runner. Each job has its own file under onnx_runtime/session/:
//   placement.h       which provider runs each node, and the PlacementReport
//   step_executor.h   THE RUN LOOP: steps over value slots, planned and unplanned runs
//   step_plan.h       the memory plan (one arena per input signature) made from a recorded run
//   subgraph_runner.h If/Loop/Scan bodies, name-keyed, seeing the enclosing values
//   batch_runner.h    whole, chunked or laned runs of a batch (batch_chunks.cpp, batch_lanes.cpp)
//   feeds.h           the caller's inputs checked against the graph's
// This file builds those at creation, binds the caller's inputs and copies the outputs out.
#include "onnx_runtime/session.h"

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

#include "common/error.h"
#include "onnx_runtime/batch_split.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/providers/cpu/cpu_provider.h"
#include "onnx_runtime/providers/cpu/prepacked_weights.h"
#include "onnx_runtime/session/batch_runner.h"
#include "onnx_runtime/session/feeds.h"
#include "onnx_runtime/session/placement.h"
#include "onnx_runtime/session/step_executor.h"

namespace bog::runtime {

using session::check_feed;
using session::type_to_string;

struct Session::Impl {
  Model model;
  session::Providers providers;
  PlacementReport report;
  OptimizationReport optimization;
  std::unique_ptr<session::StepExecutor> exec;
  std::unique_ptr<session::BatchRunner> batches;
  std::shared_ptr<KvCacheState> kv_cache;            // SessionOptions::kv_cache
  std::shared_ptr<cpu::PrepackedWeights> prepacked;  // handed to the lanes
  std::mutex run_mutex;

  Impl(Model m, session::Providers p, bool strict, bool optimize)
      : model(std::move(m)), providers(std::move(p)) {
    if (providers.empty()) {
      throw Error(ErrorCategory::kInvalidArgument, "no execution provider requested");
    }
    for (const auto& q : providers) {
      if (!q) throw Error(ErrorCategory::kInvalidArgument, "null execution provider");
    }
    session::place_graph(model.graph, providers, strict, nullptr);
    optimization.nodes_before = static_cast<int>(model.graph.nodes.size());
    if (optimize) {
      for (const auto& q : providers) {
        if (!q->available()) continue;
        q->optimize(model.graph);
        for (const auto& pc : q->pass_counts()) optimization.passes.emplace_back(q->name(), pc);
      }
    }
    optimization.nodes_after = static_cast<int>(model.graph.nodes.size());
    // Passes may add or replace nodes: place again so the report shows the final graph.
    for (const auto& q : providers) report.requested.push_back(q->name());
    session::place_graph(model.graph, providers, strict, &report);
    for (const auto& q : providers) {
      if (report.nodes_per_provider.count(q->name())) report.used.push_back(q->name());
    }
    // Placement is final: constants are packed (and initializers released) before the kernels.
    for (const auto& q : providers) {
      if (q->available()) q->prepack(model.graph);
    }
    exec = std::make_unique<session::StepExecutor>(model.graph, providers,
                                                   optimization.planned_peak_bytes);
    const BatchSplitCheck split = check_batch_split(model.graph);
    const bool planning = exec->planning();
    const bool lanes_sync = split.separable && planning && !split.lanes_only.empty();
    optimization.batch_split = split.separable && planning && !lanes_sync;
    optimization.batch_split_reason = !split.separable ? split.reason
                                      : !planning ? "a node runs on another device (no memory plan)"
                                      : lanes_sync
                                          ? split.lanes_only + " (lanes that share it, no chunks)"
                                          : "";
    batches = std::make_unique<session::BatchRunner>(*exec, optimization, lanes_sync);
  }

  // Graph-input slots start empty (or as the initializer default) for every run.
  void reset_inputs() {
    const Graph& graph = model.graph;
    for (const ValueInfo& in : graph.inputs) {
      Value& v = exec->slot_named(in.name);
      if (graph.is_initializer(in.name)) {
        const Tensor& t = graph.initializers.at(in.name);
        v = Value::from_tensor(t.view(t.shape()));
      } else {
        v = Value();
      }
    }
  }

  // The caller's input buffers are only borrowed for the run.
  void release_inputs() {
    for (size_t k = 0; k < exec->input_count(); ++k) {
      Value& v = exec->input(k);
      if (v.kind == ValueKind::kTensor) {
        v.tensor.assign_view_of(Tensor());
      } else {
        v = Value();
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
      exec->slot_named(name) = std::move(value);
      fed.insert(name);
    }
    for (const ValueInfo& in : graph.inputs) {
      if (!fed.count(in.name) && !graph.is_initializer(in.name)) {
        // An optional-typed input may be left out: it reads as "no value".
        if (in.type.kind == ValueKind::kOptional) {
          exec->slot_named(in.name) = Value::none();
          continue;
        }
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("missing input '{}' ({})", in.name, type_to_string(in.type)));
      }
    }
    batches->run();
    std::map<std::string, Value> result;
    for (size_t k = 0; k < graph.outputs.size(); ++k) {
      result.emplace(graph.outputs[k].name, exec->output(k).clone());
    }
    release_inputs();
    return result;
  }

  void run(std::span<const Tensor> inputs, std::vector<Tensor>& outputs) {
    const std::lock_guard<std::mutex> lock(run_mutex);
    const Graph& graph = model.graph;
    if (inputs.size() != exec->input_count()) {
      throw Error(
          ErrorCategory::kInvalidArgument,
          fmt::format("the model takes {} inputs, given {}", exec->input_count(), inputs.size()));
    }
    for (size_t k = 0; k < inputs.size(); ++k) {
      const ValueInfo& info = *graph.find_input(exec->input_name(k));
      Value& v = exec->input(k);
      if (v.kind != ValueKind::kTensor) v = Value();
      v.tensor.assign_view_of(inputs[k]);
      check_feed(info, v);
    }
    batches->run();
    outputs.resize(graph.outputs.size());
    for (size_t k = 0; k < graph.outputs.size(); ++k) {
      const Value& v = exec->output(k);
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
  session::Providers providers;
  const std::shared_ptr<cpu::PrepackedWeights> prepacked =
      options.prepacked ? options.prepacked : std::make_shared<cpu::PrepackedWeights>();
  for (const std::string& name : options.providers) {
    providers.push_back(make_provider(name, options.threads, options.precision));
    if (auto* cpu = dynamic_cast<CpuProvider*>(providers.back().get())) {
      if (options.kv_cache) cpu->share_kv_cache(options.kv_cache);
      cpu->share_prepacked(prepacked);
    }
  }
  impl_ = std::make_unique<Impl>(std::move(model), std::move(providers), options.strict,
                                 options.optimize);
  session::BatchRunner& batches = *impl_->batches;
  batches.set_threads(options.threads);
  impl_->kv_cache = options.kv_cache;
  impl_->prepacked = prepacked;
  // Decode steps grow the past by one token: their memory plan stretches to the cache's size.
  if (options.kv_cache) impl_->exec->set_length_capacity(&options.kv_cache->capacity);
  // A cache appended in place lives in the caller's buffers: batches run whole, never split
  // into chunks or lanes whose outputs would be gathered by copying.
  batches.set_batch_chunk(options.kv_cache ? 0 : options.batch_chunk);
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
    batches.set_batch_chunk(static_cast<int>(v));
  }
  if (options.threads > 1 && batches.batch_chunk() != 0 &&
      (impl_->optimization.batch_split || batches.lanes_sync())) {
    impl_->optimization.batch_lanes = options.threads;
    // Each lane: a single-thread session of the optimized graph, its cpu provider joined to
    // the lanes' reduction where the graph has one.
    Impl* impl = impl_.get();
    batches.set_lane_factory(
        [impl, options](int lane, const std::shared_ptr<cpu::LaneReduction>& reduction) {
          SessionOptions o = options;
          o.threads = 1;
          o.optimize = false;             // the graph is already optimized
          o.prepacked = impl->prepacked;  // and its weights packed (and released) once
          auto s = std::make_unique<Session>(session::lane_model(impl->model), o);
          if (reduction) {
            for (const auto& p : s->impl_->providers) {
              if (auto* cpu = dynamic_cast<CpuProvider*>(p.get())) cpu->join_lanes(reduction, lane);
            }
          }
          return s;
        });
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

void Session::set_node_observer(NodeObserver observer) {
  impl_->exec->set_observer(std::move(observer));
}

void Session::set_profiling(bool on) { impl_->exec->set_profiling(on); }

std::vector<Session::NodeProfile> Session::profile() const { return impl_->exec->profile(); }

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
