// The benchmark matrix: every (batch, seq_len, threads) cell measures its backends interleaved
// (round-robin passes) so their ratios come from the same minutes of the same machine.
//
// Each row carries exactly the fields of kRowFields plus the run-wide fields of kContextFields.
// A row is a result only when the artifact it ran has a passing parity report (or it is the
// eager reference itself); otherwise its timing fields are null and the note says why. A row
// whose requested provider did not run names the provider that did and says so in its note.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/bench_config.h"

namespace bog::bench {

inline const std::vector<std::string>& row_fields() {
  static const std::vector<std::string> k = {"backend",
                                             "provider_requested",
                                             "provider_used",
                                             "fallback_reason",
                                             "batch",
                                             "seq_len",
                                             "threads",
                                             "precision",
                                             "optimize",
                                             "warmup",
                                             "iterations",
                                             "mean_ms",
                                             "p50_ms",
                                             "p95_ms",
                                             "p99_ms",
                                             "min_ms",
                                             "max_ms",
                                             "samples_per_s",
                                             "peak_rss_mb",
                                             "flops_per_sample",
                                             "flops_source",
                                             "gflops",
                                             "gemm_peak_fraction",
                                             "parity_status",
                                             "checkpoint_loaded",
                                             "random_init_used",
                                             "model_sha256",
                                             "note"};
  return k;
}
inline const std::vector<std::string>& context_fields() {
  static const std::vector<std::string> k = {"device",      "device_name",  "host",
                                             "ort_version", "architecture", "parameters"};
  return k;
}
// Timing fields: null unless the row is a result.
inline const std::vector<std::string>& timing_fields() {
  static const std::vector<std::string> k = {"mean_ms",       "p50_ms", "p95_ms",
                                             "p99_ms",        "min_ms", "max_ms",
                                             "samples_per_s", "gflops", "gemm_peak_fraction"};
  return k;
}
// The words every fallback row's note carries; evidence validate looks for them.
inline constexpr const char* kFallbackCaveat = "not a result of the requested provider";

// parity_status values that make a row a result.
[[nodiscard]] bool parity_is_result(const std::string& status);

struct BenchResult {
  nlohmann::json rows = nlohmann::json::array();
  double sgemm_gflops = 0;  // single-thread Eigen sgemm, measured in this run
  // The peak rows are scaled by (gemm_peak.h), measured in this run: the cpu provider's packed
  // fp32 GEMM on a 1024 square and one core's FMA loop, single thread. A row's
  // gemm_peak_fraction is gflops / (gemm_peak_gflops x threads).
  double gemm_peak_gflops = 0;
  double fma_peak_gflops = 0;
  std::string ort_version;
  nlohmann::json environment;
  nlohmann::json artifact;  // file name, sha256, parity report summary
};

using Progress = std::function<void(const std::string&)>;

// Error(kInvalidArgument) when no backend can run (no artifact and no bundle). Backends that
// cannot run (ORT absent, a session error) give rows with a note, not an error.
[[nodiscard]] BenchResult run_bench(const BenchConfig& config, const Progress& progress);

// flops_per_sample comes from the architecture's closed form where the model is ours
// (flops_source "architecture"), else from the shapes of one run of the graph ("graph",
// graph_flops.h); null (and "gflops" 0) only where neither is known.
// "tiny_llama" forward FLOPs per sample at this sequence length (matmuls, 2 per MAC).
struct FlopModel {
  int d_model = 0, n_layers = 0, n_heads = 0, n_kv_heads = 0, d_ff = 0, n_classes = 0;
  int mlp_matrices = 3;  // SwiGLU 3, GELU 2
};
[[nodiscard]] double forward_flops_per_sample(const FlopModel& m, int seq_len);

}  // namespace bog::bench
