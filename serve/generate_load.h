// `bog loadtest --generate`: N concurrent clients stream /v1/completions from a running
// `bog serve` (an LM) for a fixed time, one request after another each; generated tokens/s (from
// each stream's usage chunk), requests/s, time to first token and inter-token latency
// percentiles (from the arrival of each stream's content chunks), failed requests.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace bog::serve {

struct GenerateLoadOptions {
  std::string host = "127.0.0.1";
  int port = 8080;
  int concurrency = 16;
  double duration_s = 30;
  int max_tokens = 64;
  bool ignore_eos = true;            // every request generates max_tokens (comparable runs)
  std::vector<std::string> prompts;  // round-robin
};

struct GenerateLoadResult {
  double duration_s = 0;  // until the last request in flight at the deadline ended
  uint64_t requests = 0, ok = 0, failed = 0, rejected_429 = 0;
  uint64_t tokens = 0;  // completion tokens of the ok requests
  double tokens_per_s = 0, requests_per_s = 0;
  double ttft_ms_p50 = 0, ttft_ms_p99 = 0, itl_ms_p50 = 0, itl_ms_p99 = 0;
  nlohmann::json to_json() const;
};

// Error(kIo) when the server cannot be reached before the run.
[[nodiscard]] GenerateLoadResult run_generate_load(const GenerateLoadOptions& options);

}  // namespace bog::serve
