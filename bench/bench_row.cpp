#include "bench/bench_row.h"

#include <fmt/format.h>

#include "bench/bench_runner.h"

namespace bog::bench {

std::string timing_gate_note(const std::string& backend_error, const std::string& parity_status) {
  if (!backend_error.empty()) return "did not run: " + backend_error;
  if (!parity_is_result(parity_status)) {
    return fmt::format("parity {} for this artifact: no timings reported as results",
                       parity_status);
  }
  return "";
}

void put_latency_fields(nlohmann::json& row, const LatencyStats& s) {
  row["mean_ms"] = s.mean_ms;
  row["p50_ms"] = s.p50_ms;
  row["p95_ms"] = s.p95_ms;
  row["p99_ms"] = s.p99_ms;
  row["min_ms"] = s.min_ms;
  row["max_ms"] = s.max_ms;
}

}  // namespace bog::bench
