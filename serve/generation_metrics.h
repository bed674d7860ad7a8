// Generation's counters for /metrics and /metadata: tokens generated, requests by finish
// reason, time to first token (a histogram), tokens/s over the last 10 s. Thread-safe.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bog::serve {

struct GenerationGauges {
  int64_t active = 0;  // sequences decoding
  int64_t queued = 0;  // waiting for a row or prefilling
  int64_t decode_steps = 0, decode_rows = 0, prefill_runs = 0;
  double decode_ms = 0, decode_session_ms = 0, prefill_ms = 0;  // scheduler time, summed
};

class GenerationMetrics {
 public:
  GenerationMetrics();
  void add_tokens(int64_t n);
  void observe_ttft(double seconds);
  void count_finish(const std::string& reason);  // stop, length, cancelled, timeout, error
  void count_rejected(int status);               // 429 / 503 at admission

  [[nodiscard]] double tokens_per_s() const;  // over the last 10 whole seconds
  [[nodiscard]] std::string render(const GenerationGauges& g) const;  // Prometheus text
  [[nodiscard]] nlohmann::json to_json(const GenerationGauges& g) const;

 private:
  using Clock = std::chrono::steady_clock;
  int64_t second_now() const;
  double ttft_quantile(double q) const;  // from the histogram's buckets (upper bound)

  mutable std::mutex mu_;
  Clock::time_point start_ = Clock::now();
  int64_t tokens_ = 0;
  std::array<int64_t, 10> window_{}, window_second_{};
  std::vector<double> ttft_bounds_;
  std::vector<uint64_t> ttft_buckets_;  // per bucket; +Inf last
  uint64_t ttft_count_ = 0;
  double ttft_sum_ = 0;
  std::map<std::string, uint64_t> finished_;
  std::map<int, uint64_t> rejected_;
};

}  // namespace bog::serve
