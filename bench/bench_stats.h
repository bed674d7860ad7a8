// Latency summaries (nearest-rank percentiles) and the machine facts a benchmark row carries.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bog::bench {

struct LatencyStats {
  int count = 0;
  double mean_ms = 0, p50_ms = 0, p95_ms = 0, p99_ms = 0, min_ms = 0, max_ms = 0;
};

// Error(kInvalidArgument) on an empty sample.
[[nodiscard]] LatencyStats summarize(std::vector<double> latencies_ms);

// Peak resident set of this process, MB (getrusage); with children=true, of its waited-for
// children (the ONNX Runtime process).
[[nodiscard]] double peak_rss_mb(bool children = false);

// Single-thread Eigen sgemm throughput (GFLOP/s), best of a few n x n x n products: the
// machine's practical matmul peak, measured in the same run as the rows it scales.
[[nodiscard]] double measure_sgemm_gflops(int n = 256, int repeats = 5);

// The environment with nothing that names this machine's user, host name or paths: OS and
// architecture, CPU model, core count, compiler, build type.
[[nodiscard]] nlohmann::json environment_json();

}  // namespace bog::bench
