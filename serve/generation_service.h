// The request side of generation in `bog serve`: a decoder LM (session + tokenizer) behind one
// scheduler thread that runs generate::BatchScheduler. HTTP workers submit jobs (admission:
// max active + max queued, else 429; stopping, else 503); the scheduler thread calls each job's
// callbacks with text as it comes and once at the end. A job whose client left, or past its
// deadline, ends at the next step and frees its row. No HTTP here (openai_routes.h has it).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "generate/sampling.h"
#include "model/tokenizer/tokenizer.h"
#include "onnx_runtime/session.h"
#include "serve/generation_metrics.h"

namespace bog::serve {

struct GenerationLimits {
  bool batching = true;     // off: one sequence at a time (max_active 1)
  int max_active = 16;      // sequences decoded together
  int max_queued = 64;      // waiting beyond the active ones; past it 429
  int max_tokens = 0;       // per request; 0: the context
  int timeout_ms = 120000;  // from admission to the last token; past it the job ends (503)
  int prefill_chunk = 32;   // prompt tokens per prefill run
  int retry_after_s = 1;
};

// What /v1/models and /metadata say about the LM.
struct LmInfo {
  std::string model_id;  // the name requests give as "model"
  std::string architecture;
  int64_t context_length = 0;
  int64_t num_params = 0;
  int64_t vocab = 0;
  std::string bundle_sha256, onnx_sha256;
  std::string chat_template = "plain";
  std::vector<int64_t> eos_ids;
  int64_t pad_id = 0;
  int64_t created = 0;  // unix seconds at load
  std::string provider_requested;
  std::vector<std::string> providers_used;
};

struct JobResult {
  std::string finish_reason;  // stop, length, cancelled (client left), timeout, error
  std::string text;           // every delta joined
  int64_t prompt_tokens = 0, completion_tokens = 0;
  std::string error;  // finish_reason error: why
};

struct GenerationJob {
  std::vector<int64_t> prompt;
  int max_tokens = 16;
  generate::SamplingOptions sampling;
  std::vector<std::string> stop;
  bool ignore_eos = false;
  // On the scheduler thread: text as it may be shown; then once, the result.
  std::function<void(const std::string& delta)> on_text;
  std::function<void(const JobResult& result)> on_done;
  std::function<bool()> gone;  // the client left (polled every step)
};

enum class Admission { kAccepted, kQueueFull, kStopping };

class GenerationService {
 public:
  // `before_step` (tests): called on the scheduler thread before every step.
  GenerationService(std::unique_ptr<runtime::Session> session,
                    std::unique_ptr<model::Tokenizer> tokenizer, LmInfo info,
                    GenerationLimits limits, std::function<void()> before_step = {});
  ~GenerationService();  // stop()
  GenerationService(const GenerationService&) = delete;
  GenerationService& operator=(const GenerationService&) = delete;

  // The prompt's ids as the LM was trained on them (BOS first).
  [[nodiscard]] std::vector<int64_t> encode(const std::string& text) const;
  // Whether submit() would admit a job now (a stream checks before its head is sent).
  [[nodiscard]] bool has_room() const;
  // The job's limits must have been checked (ids in the vocabulary, prompt < context).
  Admission submit(GenerationJob job);
  // Ends every job ("cancelled") and joins the thread. Idempotent.
  void stop();

  [[nodiscard]] const LmInfo& info() const;
  [[nodiscard]] const GenerationLimits& limits() const;
  [[nodiscard]] GenerationGauges gauges() const;
  [[nodiscard]] GenerationMetrics& metrics();
  [[nodiscard]] nlohmann::json metadata_json() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bog::serve
