// What every benchmark row shares, classifier cell or generation cell: a note that gathers the
// reasons a row is as it is, the gate that keeps unproven timings out, and the latency fields.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "bench/bench_stats.h"

namespace bog::bench {

// A row's note: starts from the backend's own note, then "; "-joined additions.
class RowNote {
 public:
  explicit RowNote(std::string start) : text_(std::move(start)) {}
  void add(const std::string& s) { text_ += (text_.empty() ? "" : "; ") + s; }
  [[nodiscard]] const std::string& str() const { return text_; }

 private:
  std::string text_;
};

// Why the row may carry no timings ("did not run: ...", "parity failed for this artifact: ..."),
// or "" when the backend ran and its parity status is a result.
[[nodiscard]] std::string timing_gate_note(const std::string& backend_error,
                                           const std::string& parity_status);

// mean_ms, p50_ms, p95_ms, p99_ms, min_ms and max_ms from one summary.
void put_latency_fields(nlohmann::json& row, const LatencyStats& s);

}  // namespace bog::bench
