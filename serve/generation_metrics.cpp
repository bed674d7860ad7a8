#include "serve/generation_metrics.h"

#include <fmt/format.h>

namespace bog::serve {

GenerationMetrics::GenerationMetrics()
    : ttft_bounds_{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
      ttft_buckets_(ttft_bounds_.size() + 1, 0) {
  window_second_.fill(-1);
}

int64_t GenerationMetrics::second_now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start_).count();
}

void GenerationMetrics::add_tokens(int64_t n) {
  std::lock_guard lock(mu_);
  tokens_ += n;
  const int64_t s = second_now();
  const auto i = static_cast<size_t>(s % 10);
  if (window_second_[i] != s) {
    window_second_[i] = s;
    window_[i] = 0;
  }
  window_[i] += n;
}

void GenerationMetrics::observe_ttft(double seconds) {
  std::lock_guard lock(mu_);
  size_t i = 0;
  while (i < ttft_bounds_.size() && seconds > ttft_bounds_[i]) ++i;
  ++ttft_buckets_[i];
  ++ttft_count_;
  ttft_sum_ += seconds;
}

void GenerationMetrics::count_finish(const std::string& reason) {
  std::lock_guard lock(mu_);
  ++finished_[reason];
}

void GenerationMetrics::count_rejected(int status) {
  std::lock_guard lock(mu_);
  ++rejected_[status];
}

double GenerationMetrics::tokens_per_s() const {
  std::lock_guard lock(mu_);
  const int64_t now = second_now();
  int64_t sum = 0;
  for (size_t i = 0; i < window_.size(); ++i) {
    if (window_second_[i] >= now - 10 && window_second_[i] < now) sum += window_[i];
  }
  const int64_t span = std::min<int64_t>(10, now);
  return span > 0 ? static_cast<double>(sum) / static_cast<double>(span) : 0.0;
}

double GenerationMetrics::ttft_quantile(double q) const {
  if (ttft_count_ == 0) return 0;
  const auto want = static_cast<uint64_t>(q * static_cast<double>(ttft_count_) + 0.999999);
  uint64_t seen = 0;
  for (size_t i = 0; i < ttft_bounds_.size(); ++i) {
    seen += ttft_buckets_[i];
    if (seen >= want) return ttft_bounds_[i];
  }
  return ttft_bounds_.back();
}

std::string GenerationMetrics::render(const GenerationGauges& g) const {
  const double tps = tokens_per_s();
  std::lock_guard lock(mu_);
  std::string out;
  const auto scalar = [&out](const char* name, const char* type, const char* help, double v) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, v);
  };
  const auto count = [](int64_t v) { return static_cast<double>(v); };
  scalar("bog_generation_tokens_total", "counter", "Tokens generated.", count(tokens_));
  scalar("bog_generation_tokens_per_second", "gauge", "Tokens generated per second, last 10 s.",
         tps);
  scalar("bog_generation_active_sequences", "gauge", "Sequences decoding now.", count(g.active));
  scalar("bog_generation_queue_length", "gauge", "Requests waiting for a row or prefilling.",
         count(g.queued));
  scalar("bog_generation_decode_steps_total", "counter", "Batched decode steps run.",
         count(g.decode_steps));
  scalar("bog_generation_decode_rows_total", "counter", "Rows decoded, summed over steps.",
         count(g.decode_rows));
  scalar("bog_generation_prefill_runs_total", "counter", "Prefill chunks run.",
         count(g.prefill_runs));
  out += "# HELP bog_generation_requests_total Generations ended, by finish reason.\n";
  out += "# TYPE bog_generation_requests_total counter\n";
  for (const auto& [reason, n] : finished_)
    out += fmt::format("bog_generation_requests_total{{finish_reason=\"{}\"}} {}\n", reason, n);
  out += "# HELP bog_generation_rejected_total Requests refused at admission, by status.\n";
  out += "# TYPE bog_generation_rejected_total counter\n";
  for (const auto& [status, n] : rejected_)
    out += fmt::format("bog_generation_rejected_total{{status=\"{}\"}} {}\n", status, n);
  out += "# HELP bog_generation_ttft_seconds Time to first token.\n";
  out += "# TYPE bog_generation_ttft_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < ttft_buckets_.size(); ++i) {
    cumulative += ttft_buckets_[i];
    const std::string le = i < ttft_bounds_.size() ? fmt::format("{}", ttft_bounds_[i]) : "+Inf";
    out += fmt::format("bog_generation_ttft_seconds_bucket{{le=\"{}\"}} {}\n", le, cumulative);
  }
  out += fmt::format("bog_generation_ttft_seconds_sum {}\n", ttft_sum_);
  out += fmt::format("bog_generation_ttft_seconds_count {}\n", ttft_count_);
  return out;
}

nlohmann::json GenerationMetrics::to_json(const GenerationGauges& g) const {
  const double tps = tokens_per_s();
  const auto per_step = [&g](double ms) {
    return g.decode_steps > 0 ? ms / static_cast<double>(g.decode_steps) : 0.0;
  };
  std::lock_guard lock(mu_);
  return {{"tokens_generated", tokens_},
          {"tokens_per_s", tps},
          {"active_sequences", g.active},
          {"queue_length", g.queued},
          {"decode_steps", g.decode_steps},
          {"mean_rows_per_step", g.decode_steps > 0 ? static_cast<double>(g.decode_rows) /
                                                          static_cast<double>(g.decode_steps)
                                                    : 0.0},
          // Where the scheduler's time goes: decode steps (the session run, and the rest:
          // sampling, text, stream writes) and prefill chunks.
          {"decode_ms_per_step", per_step(g.decode_ms)},
          {"decode_session_ms_per_step", per_step(g.decode_session_ms)},
          {"prefill_ms_total", g.prefill_ms},
          {"ttft_ms_mean",
           ttft_count_ > 0 ? 1000.0 * ttft_sum_ / static_cast<double>(ttft_count_) : 0.0},
          {"ttft_ms_p50_bucket", 1000.0 * ttft_quantile(0.5)},
          {"requests", finished_}};
}

}  // namespace bog::serve
