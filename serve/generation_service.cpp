#include "serve/generation_service.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "generate/batch_scheduler.h"
#include "serve/text_stream.h"

namespace bog::serve {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

struct GenerationService::Impl {
  // One job from admission to its end; the scheduler's callbacks hold it.
  struct Live {
    GenerationJob job;
    TextStream text;
    Clock::time_point admitted, deadline;
    bool first = true;
    bool timed_out = false;
    bool ended = false;
    Live(GenerationJob j, const model::Tokenizer& tok, Clock::time_point now, int timeout_ms)
        : job(std::move(j)),
          text(tok, job.prompt, job.stop),
          admitted(now),
          deadline(now + std::chrono::milliseconds(timeout_ms)) {}
  };

  std::unique_ptr<runtime::Session> session;
  std::unique_ptr<model::Tokenizer> tokenizer;
  LmInfo info;
  GenerationLimits limits;
  std::function<void()> before_step;
  GenerationMetrics metrics;
  std::unique_ptr<generate::BatchScheduler> scheduler;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::deque<std::shared_ptr<Live>> inbox;
  std::vector<std::shared_ptr<Live>> live;  // submitted to the scheduler (scheduler thread)
  // Admitted and not ended; of them, those past their first token (decoding). Changed before
  // a job's callbacks run, so a client that has its answer sees the gauges without it.
  std::atomic<int64_t> held{0}, active{0};
  std::atomic<bool> stopping{false};
  GenerationGauges step_gauges;  // under mu
  std::thread thread;

  Impl(std::unique_ptr<runtime::Session> s, std::unique_ptr<model::Tokenizer> t, LmInfo i,
       GenerationLimits l, std::function<void()> hook)
      : session(std::move(s)),
        tokenizer(std::move(t)),
        info(std::move(i)),
        limits(l),
        before_step(std::move(hook)) {
    if (!limits.batching) limits.max_active = 1;
    if (limits.max_tokens <= 0 || limits.max_tokens > info.context_length)
      limits.max_tokens = static_cast<int>(info.context_length);
    make_scheduler();
    thread = std::thread([this] { loop(); });
  }

  bool room() const {  // under mu
    return held.load() < limits.max_active + limits.max_queued;
  }

  void make_scheduler() {
    generate::SchedulerOptions o;
    o.max_active = limits.max_active;
    o.prefill_chunk = limits.prefill_chunk;
    o.capacity = info.context_length;
    o.pad_id = info.pad_id;
    o.vocab_limit = info.vocab;
    scheduler = std::make_unique<generate::BatchScheduler>(*session, o);
  }

  void end(Live& l, JobResult r) {
    if (l.ended) return;
    l.ended = true;
    if (!l.first) --active;  // counted from its first token on
    --held;
    r.prompt_tokens = static_cast<int64_t>(l.job.prompt.size());
    if (r.finish_reason != "error") {
      const std::string rest = l.text.finish();
      if (!rest.empty() && l.job.on_text) l.job.on_text(rest);
    }
    r.text = l.text.shown();
    metrics.count_finish(r.finish_reason);
    if (l.job.on_done) l.job.on_done(r);
  }

  generate::SequenceRequest sequence(const std::shared_ptr<Live>& l) {
    generate::SequenceRequest q;
    q.prompt = l->job.prompt;
    q.max_new_tokens = l->job.max_tokens;
    q.sampling = l->job.sampling;
    if (!l->job.ignore_eos) q.eos_ids = info.eos_ids;
    Live* p = l.get();
    q.on_token = [this, p](int64_t token) {
      if (p->first) {
        p->first = false;
        ++active;
        metrics.observe_ttft(std::chrono::duration<double>(Clock::now() - p->admitted).count());
      }
      metrics.add_tokens(1);
      const std::string delta = p->text.push(token);
      if (!delta.empty() && p->job.on_text) p->job.on_text(delta);
      return !p->text.stopped();
    };
    q.cancelled = [this, p] {
      if (stopping.load() || (p->job.gone && p->job.gone())) return true;
      if (Clock::now() > p->deadline) p->timed_out = true;
      return p->timed_out;
    };
    q.on_done = [this, p](const generate::RowResult& r) {
      JobResult out;
      out.completion_tokens = static_cast<int64_t>(r.tokens.size());
      out.finish_reason = r.finish_reason;
      if (r.finish_reason == "cancelled" && p->timed_out) out.finish_reason = "timeout";
      end(*p, out);
    };
    return q;
  }

  // Every live job fails (the session threw): they end with the reason, the scheduler restarts.
  void fail_all(const std::string& why) {
    for (const auto& l : live) {
      JobResult r;
      r.finish_reason = "error";
      r.error = why;
      end(*l, r);
    }
    live.clear();
    make_scheduler();
  }

  void loop() {
    bool busy = false;
    for (;;) {
      std::deque<std::shared_ptr<Live>> fresh;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return busy || !inbox.empty() || stopping.load(); });
        if (stopping.load() && !busy && inbox.empty() && live.empty()) break;
        fresh.swap(inbox);
      }
      for (auto& l : fresh) {
        try {
          scheduler->submit(sequence(l));
          live.push_back(std::move(l));
        } catch (const std::exception& e) {
          JobResult r;
          r.finish_reason = "error";
          r.error = e.what();
          end(*l, r);
        }
      }
      if (before_step) before_step();
      try {
        busy = scheduler->step();
      } catch (const std::exception& e) {
        fail_all(e.what());
        busy = false;
      }
      std::erase_if(live, [](const std::shared_ptr<Live>& l) { return l->ended; });
      const generate::SchedulerStats& st = scheduler->stats();
      std::lock_guard lock(mu);
      step_gauges.decode_steps = st.decode_steps;
      step_gauges.decode_rows = st.decode_rows;
      step_gauges.prefill_runs = st.prefill_runs;
      step_gauges.decode_ms = st.decode_ms;
      step_gauges.decode_session_ms = st.decode_session_ms;
      step_gauges.prefill_ms = st.prefill_ms;
      if (!busy && stopping.load() && inbox.empty() && live.empty()) break;
    }
    // Jobs that arrived while stopping.
    std::lock_guard lock(mu);
    for (auto& l : inbox) end(*l, JobResult{"cancelled", "", 0, 0, ""});
    inbox.clear();
  }
};

GenerationService::GenerationService(std::unique_ptr<runtime::Session> session,
                                     std::unique_ptr<model::Tokenizer> tokenizer, LmInfo info,
                                     GenerationLimits limits, std::function<void()> before_step)
    : impl_(std::make_unique<Impl>(std::move(session), std::move(tokenizer), std::move(info),
                                   limits, std::move(before_step))) {}

GenerationService::~GenerationService() { stop(); }

std::vector<int64_t> GenerationService::encode(const std::string& text) const {
  const auto ids = impl_->tokenizer->encode(text, 0, true, false);
  return {ids.begin(), ids.end()};
}

bool GenerationService::has_room() const {
  std::lock_guard lock(impl_->mu);
  return impl_->room();
}

Admission GenerationService::submit(GenerationJob job) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (m.stopping.load()) {
    m.metrics.count_rejected(503);
    return Admission::kStopping;
  }
  if (!m.room()) {
    m.metrics.count_rejected(429);
    return Admission::kQueueFull;
  }
  ++m.held;
  m.inbox.push_back(std::make_shared<Impl::Live>(std::move(job), *m.tokenizer, Clock::now(),
                                                 m.limits.timeout_ms));
  m.cv.notify_one();
  return Admission::kAccepted;
}

void GenerationService::stop() {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.mu);
    m.stopping = true;
    m.cv.notify_one();
  }
  if (m.thread.joinable()) m.thread.join();
}

const LmInfo& GenerationService::info() const { return impl_->info; }
const GenerationLimits& GenerationService::limits() const { return impl_->limits; }
GenerationMetrics& GenerationService::metrics() { return impl_->metrics; }

GenerationGauges GenerationService::gauges() const {
  std::lock_guard lock(impl_->mu);
  GenerationGauges g = impl_->step_gauges;
  g.active = impl_->active.load();
  g.queued = impl_->held.load() - g.active;
  return g;
}

nlohmann::json GenerationService::metadata_json() const {
  const LmInfo& i = impl_->info;
  const GenerationLimits& l = impl_->limits;
  return {{"model",
           {{"id", i.model_id},
            {"architecture", i.architecture},
            {"num_params", i.num_params},
            {"context_length", i.context_length},
            {"vocab_size", i.vocab},
            {"bundle_sha256", i.bundle_sha256},
            {"onnx_sha256", i.onnx_sha256},
            {"chat_template", i.chat_template},
            {"eos_token_ids", i.eos_ids}}},
          {"provider", {{"requested", i.provider_requested}, {"used", i.providers_used}}},
          {"serving",
           {{"continuous_batching", l.batching},
            {"max_active_sequences", l.max_active},
            {"max_queued_requests", l.max_queued},
            {"max_tokens", l.max_tokens},
            {"request_timeout_ms", l.timeout_ms},
            {"prefill_chunk_tokens", l.prefill_chunk}}},
          {"generation", impl_->metrics.to_json(gauges())}};
}

}  // namespace bog::serve
