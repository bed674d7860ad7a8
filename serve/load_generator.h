// `bog loadtest`: N keep-alive connections post /predict for a fixed time against a running
// server; requests/s, latency percentiles, status counts, and the batch sizes the server formed
// meanwhile (the difference of its /metrics bog_batch_size histogram before and after).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace bog::serve {

struct LoadOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  int connections = 64;
  double duration_s = 30;
  std::vector<std::string> texts;  // sent round-robin as {"text": ...}
  int stalled = 0;  // connections that send a request line and one header, then nothing
};

// The bog_batch_size histogram of a /metrics page: cumulative bucket counts by upper bound.
struct BatchHistogram {
  std::map<double, uint64_t> cumulative;  // le -> count; +Inf as infinity
  uint64_t count = 0;
  double sum = 0;
};

struct LoadResult {
  double duration_s = 0;
  uint64_t requests = 0;
  uint64_t ok = 0;            // 200
  uint64_t rejected_503 = 0;  // deliberate back-pressure
  uint64_t failed = 0;        // any other status, or no response
  double requests_per_s = 0;  // 200s per second
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, mean_ms = 0, max_ms = 0;  // of 200s
  BatchHistogram batches;                                              // formed during the run
  int stalled = 0;             // stalled connections held open during the run
  int64_t stalled_closed = 0;  // of them, closed by the server (and opened again)
  int64_t stalled_answered_408 = 0;
  nlohmann::json to_json() const;
};

[[nodiscard]] BatchHistogram parse_batch_histogram(const std::string& metrics_text);
// after - before, bucket by bucket.
[[nodiscard]] BatchHistogram histogram_delta(const BatchHistogram& after,
                                             const BatchHistogram& before);
// Error(kIo) when the server cannot be reached before the run.
[[nodiscard]] LoadResult run_load(const LoadOptions& options);
// A small fixed set of headlines for runs without a texts file.
[[nodiscard]] std::vector<std::string> builtin_headlines();

}  // namespace bog::serve
