// Session: a loaded model, placed on providers, ready to run with named inputs.
//   load -> IR -> placement -> provider passes -> value slots -> run
//   (the first run of an input shape records sizes and lifetimes and makes that shape's memory
//   plan; later runs of the shape reuse one arena and skip the shape-only and view nodes).
// One run at a time: concurrent run() calls on one Session are serialised.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/graph.h"
#include "onnx_runtime/kv_cache_state.h"
#include "onnx_runtime/placement_report.h"
#include "onnx_runtime/value.h"

namespace bog::runtime {

namespace cpu {
class PrepackedWeights;
}  // namespace cpu

struct SessionOptions {
  std::vector<std::string> providers = {"reference"};  // in order of preference
  bool strict = false;   // any fallback is an error (kProviderUnavailable)
  bool optimize = true;  // run each provider's optimize() passes
  int threads = 1;       // for providers that use threads
  // Batches of a graph whose samples are independent (batch_split.h) run in chunks of this
  // many samples: -1 sizes them so one chunk's memory plan fits one core's L2 cache, 0 never
  // splits. With threads > 1 such a batch is first cut into one part per thread, each run in
  // chunks by its own single-thread session on its own thread. The outputs are those of the
  // whole batch.
  int batch_chunk = -1;
  // GEMM arithmetic (precision.h): bf16 rounds the cpu provider's constant-weight GEMMs to
  // bfloat16 with fp32 accumulation, or runs fp32 where the CPU cannot (cpu_precision() says).
  Precision precision = Precision::kFp32;
  // Decoder graphs: with a state here the cpu provider appends present.{i}.* in place into the
  // caller's cache buffers (kv_cache_state.h; generate/ sets it up).
  std::shared_ptr<KvCacheState> kv_cache;
  // Where the cpu provider keeps the weights it packs when the session is made
  // (providers/cpu/prepacked_weights.h). Left empty, the session makes one and hands it to its
  // lanes, so a weight is packed once per session; only sessions of one model may share one.
  std::shared_ptr<cpu::PrepackedWeights> prepacked;
};

class Session {
 public:
  Session(Model model, const SessionOptions& options);
  // Explicit provider objects (tests use a fake provider built from a list of op types).
  Session(Model model, std::vector<std::shared_ptr<ExecutionProvider>> providers, bool strict,
          bool optimize = true);
  static Session from_file(const std::filesystem::path& path, const SessionOptions& options);
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  // Runs with feeds by graph-input name; returns every graph output by name. Shapes are
  // computed at run time, so dynamic axes take whatever the feeds carry. Intermediates are
  // freed after their last use.
  std::map<std::string, Value> run(std::map<std::string, Value> feeds);

  // The same run without maps: inputs in input_infos() order, graph outputs written into
  // `outputs` (output_infos() order), reusing each output tensor's storage when its dtype and
  // shape already match (ORT's IoBinding, in small). Each input shape gets a memory plan at its
  // first run; from then on a run whose kernels honour the plan makes no heap allocation.
  void run(std::span<const Tensor> inputs, std::vector<Tensor>& outputs);

  // Called after each node with its outputs (parity's first-divergence uses it). (optional)
  using NodeObserver = std::function<void(const Node&, const std::vector<Value>& outputs)>;
  void set_node_observer(NodeObserver observer);

  // Profiling: each top-level node's kernel time, summed over the runs while it is on (the
  // analogue of ORT's session profiling). Off by default; it costs two clock reads per node.
  struct NodeProfile {
    std::string node_name;
    std::string op_type;
    std::string provider;
    int64_t calls = 0;
    double total_ms = 0;
  };
  void set_profiling(bool on);
  [[nodiscard]] std::vector<NodeProfile> profile() const;  // in graph order

  // What the provider passes did to the graph, and the memory plan's size (`bog inspect`).
  struct OptimizationReport {
    int nodes_before = 0;  // top-level nodes as loaded
    int nodes_after = 0;   // after every provider's passes
    std::vector<std::pair<std::string, ExecutionProvider::PassCount>> passes;  // provider, pass
    int64_t planned_peak_bytes = 0;  // arena size of the latest memory plan; 0 before a run
    bool batch_split = false;        // large batches run in cache-sized chunks
    std::string batch_split_reason;  // why not
    int batch_lanes = 0;  // with threads > 1: one part of such a batch per thread (0: none)
  };
  OptimizationReport optimization_report() const;

  // The options' KV cache state (null when the session was made without one).
  KvCacheState* kv_cache_state() const;

  const Model& model() const;
  const PlacementReport& placement() const;
  // Graph inputs the caller must feed (inputs that are not initializers).
  std::vector<ValueInfo> input_infos() const;
  std::vector<ValueInfo> output_infos() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bog::runtime
