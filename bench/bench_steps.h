// The steps run_bench (bench_runner.h) is made of, internal to bog_bench: what the bundle and
// the artifact offer, the facts of the model, the ONNX Runtime reference, one Backend per
// (backend, thread count), and the measurement of one (batch, seq_len) cell into its rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_config.h"
#include "bench/bench_runner.h"
#include "model/bundle.h"
#include "onnx_runtime/graph.h"
#include "onnx_runtime/session.h"
#include "parity/ort_runner.h"

namespace bog::bench::steps {

// The artifact's parity reports: which providers they vouch for.
struct ParityLookup {
  std::optional<nlohmann::json> report;
  std::optional<nlohmann::json> bf16_report;  // `bog parity --precision bf16`: vouches for bf16
  // "passed", "failed" or "missing" for the provider (a report's provider_requested).
  [[nodiscard]] std::string status_for(const std::string& provider) const;
  [[nodiscard]] std::string status_for_bf16(const std::string& provider) const;
};

// The bundle: eager rows, FLOPs and the parameter count.
struct BundleSide {
  std::optional<model::LoadedBundle> bundle;
  std::string error;  // why there is none
};
[[nodiscard]] BundleSide load_bundle_side(const BenchConfig& c);

// The artifact: interpreter and ORT rows.
struct ArtifactSide {
  std::string error;  // why it cannot run
  std::string sha256;
  std::string model_config;  // the exporter's metadata: FLOPs without the bundle
  bool has_checkpoint = false;
  std::vector<runtime::ValueInfo> inputs;  // what the artifact is fed
  int64_t vocab = 0;                       // its embedding table's rows, when it has one
  ParityLookup parity;
};
[[nodiscard]] ArtifactSide load_artifact_side(const BenchConfig& c);
// {"file", "sha256", "parity_report": "present"|"missing", "parity_passed"}
[[nodiscard]] nlohmann::json artifact_json(const BenchConfig& c, const ArtifactSide& a);

// What the rows say of the model, from the bundle or else the artifact's metadata.
struct ModelFacts {
  FlopModel flops;
  std::string architecture = "unknown";
  int64_t parameters = 0;
  int64_t vocab = 64;  // a foreign model: its Gather table when it has one
  int max_len = 1 << 30;
  bool prepend_cls = false;
  std::string weights_sha256;
};
[[nodiscard]] ModelFacts model_facts(const BundleSide& bundle, const ArtifactSide& artifact);

// The ONNX Runtime reference, looked for only when the config asks for "ort".
struct OrtSide {
  std::optional<parity::OrtRunner> runner;
  std::string error;
  std::string version;
};
[[nodiscard]] OrtSide find_ort(const BenchConfig& c);

// The run-wide fields of every row (context_fields()).
[[nodiscard]] nlohmann::json row_context(const ModelFacts& facts, const std::string& ort_version);

struct Prepared {
  BundleSide bundle;
  ArtifactSide artifact;
  ModelFacts facts;
  OrtSide ort;
  nlohmann::json context;       // row_context
  double gemm_peak_gflops = 0;  // BenchResult::gemm_peak_gflops
};

// One backend at one thread count: how it runs once, and what its row says.
struct Backend {
  std::string token;  // eager, reference, cpu, cuda, ort
  nlohmann::json row_base;
  std::string error;  // set: the backend cannot run; its rows carry this as the note
  bool result = false;
  std::optional<runtime::Session> session;
};

// The config's backends at `threads`, in its order (bench_backends.cpp). Sessions are reused
// across batch and seq (dynamic axes).
[[nodiscard]] std::vector<Backend> make_backends(const BenchConfig& c, const Prepared& p,
                                                 int threads);

// Measures one (batch, seq) cell at `threads`, the backends interleaved in c.rounds
// round-robin passes, and appends one row per backend to `rows` (bench_cell.cpp).
void bench_cell(const BenchConfig& c, const Prepared& p, std::vector<Backend>& backends,
                int threads, int batch, int seq, nlohmann::json& rows);

}  // namespace bog::bench::steps
