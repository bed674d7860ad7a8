// What `bog serve` runs with: configs/serving.yaml, then BOG_* environment overrides, then flags.
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace bog::serve {

enum class OverlongPolicy { kTruncate, kReject };

struct ServingConfig {
  std::string bundle;              // bundle directory (BOG_BUNDLE_DIR)
  std::string onnx;                // serve this file instead of exporting the bundle at start-up
  std::string host = "127.0.0.1";  // BOG_SERVE_HOST; loopback unless told otherwise
  int port = 8080;                 // BOG_SERVE_PORT; 0 picks a free port
  std::string provider = "cpu";    // BOG_SERVE_PROVIDER; reference is the fallback
  int threads = 1;                 // session threads (cpu provider)
  std::string precision = "fp32";  // fp32 | bf16 GEMMs on the cpu provider (SessionOptions)
  int http_threads = 128;          // workers running complete requests (connections do not
                                   // hold one: serve/http_server.h)
  int max_connections = 1024;      // open connections; past it a new one gets 503 at once
  int max_streams = 64;            // SSE streams, counted apart from connections
  int header_timeout_ms = 5000;    // request line + headers in total; past it 408, closed
  int body_timeout_ms = 10000;     // the body in total, from the end of the headers
  int idle_timeout_ms = 5000;      // a connection without a request (new or kept alive)
  int write_timeout_ms = 10000;    // unsent response bytes the client does not take
  bool batching = true;            // off: every request is its own session run
  int max_batch = 32;              // texts per session run
  int max_wait_ms = 2;             // how long the first queued text waits for company
  int run_overhead_tokens = 16;    // a batch is cut into runs of similar length where a cut
                                   // saves more padded positions than this (length_buckets.h)
  int queue_capacity = 256;        // texts waiting; beyond it: 503 + Retry-After
  int retry_after_s = 1;
  int max_texts = 64;             // per /predict/batch request
  size_t max_body_bytes = 65536;  // larger bodies: 413
  int max_tokens = 0;             // 0: the model's max_len
  OverlongPolicy overlong = OverlongPolicy::kTruncate;
  std::string evidence_dir = "docs/evidence";  // tables the page shows
  // Generation (an LM bundle, or --onnx decoder + --tokenizer): continuous batching when
  // `batching` is on, else one sequence at a time (serve/generation_service.h).
  std::string tokenizer;               // SentencePiece model for an --onnx decoder
  int generation_max_active = 16;      // sequences decoded together
  int generation_max_queued = 64;      // waiting beyond them; past it 429 + Retry-After
  int generation_max_tokens = 0;       // per request; 0: the context
  int generation_timeout_ms = 120000;  // per request; past it 503 + Retry-After
  int generation_prefill_chunk = 32;   // prompt tokens per prefill run
};

// Parses YAML text; unknown keys, wrong types and out-of-range values are
// Error(kInvalidArgument) naming `source` and the key.
[[nodiscard]] ServingConfig parse_serving_config(const std::string& yaml_text,
                                                 const std::string& source);
[[nodiscard]] ServingConfig load_serving_config(const std::string& path);

// Applies BOG_BUNDLE_DIR, BOG_SERVE_HOST, BOG_SERVE_PORT, BOG_SERVE_PROVIDER from `env`
// (a snapshot of the environment, so tests need not touch the process's).
void apply_env_overrides(ServingConfig& config, const std::map<std::string, std::string>& env);
[[nodiscard]] std::map<std::string, std::string> serving_env_from_process();

// Checks ranges and relations (max_texts <= queue_capacity, ...). Error(kInvalidArgument).
void validate(const ServingConfig& config);

[[nodiscard]] const char* overlong_name(OverlongPolicy policy);

}  // namespace bog::serve
