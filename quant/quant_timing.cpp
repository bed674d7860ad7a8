#include "quant/quant_timing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>

#include "common/error.h"
#include "onnx_runtime/session.h"
#include "parity/ort_runner.h"

namespace bog::quant {
namespace fs = std::filesystem;
namespace {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(std::lround(p * static_cast<double>(v.size() - 1)));
  return v[i];
}

}  // namespace

SpeedFigures SpeedSamples::figures() const {
  SpeedFigures f;
  f.p50_ms_b1 = b1_ms.empty() ? 0.0 : percentile(b1_ms, 0.5);
  const double p50 = b32_ms.empty() ? 0.0 : percentile(b32_ms, 0.5);
  f.samples_per_s_b32 = p50 > 0 ? 32.0 / (p50 / 1000.0) : 0.0;
  return f;
}

namespace {

constexpr int64_t kSeq = 128;

// Full-length synthetic ids and an all-ones mask, [bs, 128].
struct SpeedFeeds {
  runtime::Tensor ids, mask;
};
SpeedFeeds speed_feeds(int64_t bs, int64_t vocab, std::mt19937_64& rng) {
  std::uniform_int_distribution<int64_t> tok(4, std::max<int64_t>(5, vocab - 1));
  SpeedFeeds f{runtime::Tensor(runtime::DType::kInt64, {bs, kSeq}),
               runtime::Tensor(runtime::DType::kInt64, {bs, kSeq})};
  for (int64_t i = 0; i < bs * kSeq; ++i) {
    f.ids.data<int64_t>()[i] = tok(rng);
    f.mask.data<int64_t>()[i] = 1;
  }
  return f;
}

// One timed run of `session` on `f`, in ms.
double timed_run(runtime::Session& session, const SpeedFeeds& f) {
  std::map<std::string, runtime::Value> feeds;
  feeds["input_ids"] = runtime::Value::from_tensor(f.ids.clone());
  feeds["attention_mask"] = runtime::Value::from_tensor(f.mask.clone());
  const auto t0 = std::chrono::steady_clock::now();
  (void)session.run(std::move(feeds));
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

runtime::Session cpu_session(const fs::path& onnx, const std::string& provider, int threads) {
  runtime::SessionOptions so;
  so.providers = {provider, "reference"};
  so.threads = threads;
  return runtime::Session::from_file(onnx, so);
}

}  // namespace

void time_cpu_pair(const fs::path& a, const fs::path& b, int threads, int64_t vocab,
                   int iterations_b1, int iterations_b32, SpeedSamples& out_a,
                   SpeedSamples& out_b) {
  std::mt19937_64 rng(7);
  const SpeedFeeds one = speed_feeds(1, vocab, rng);
  const SpeedFeeds full = speed_feeds(32, vocab, rng);
  runtime::Session sa = cpu_session(a, "cpu", threads);
  runtime::Session sb = cpu_session(b, "cpu", threads);
  // Short blocks in turn, each starting with an untimed run: the other file's run has just
  // taken the caches, and a served model would find them warm.
  constexpr int kTimedPerBlock = 4;
  const auto alternate = [&](const SpeedFeeds& f, int iters, std::vector<double>& ma,
                             std::vector<double>& mb) {
    for (int done = 0; done < iters; done += kTimedPerBlock) {
      const int timed = std::min(kTimedPerBlock, iters - done);
      for (auto [s, m] : {std::pair{&sa, &ma}, std::pair{&sb, &mb}}) {
        (void)timed_run(*s, f);
        for (int i = 0; i < timed; ++i) m->push_back(timed_run(*s, f));
      }
    }
  };
  alternate(one, iterations_b1, out_a.b1_ms, out_b.b1_ms);
  alternate(full, iterations_b32, out_a.b32_ms, out_b.b32_ms);
}

void time_onnx(const fs::path& onnx, const std::string& provider, int threads, int64_t vocab,
               int iterations_b1, int iterations_b32, SpeedSamples& out) {
  std::mt19937_64 rng(7);
  const SpeedFeeds f1 = speed_feeds(1, vocab, rng);
  const SpeedFeeds f32 = speed_feeds(32, vocab, rng);
  const auto append = [](std::vector<double>& to, const std::vector<double>& from) {
    to.insert(to.end(), from.begin(), from.end());
  };
  if (provider == "ort") {
    const auto ort = parity::OrtRunner::find();
    if (!ort) {
      throw Error(ErrorCategory::kProviderUnavailable,
                  "ONNX Runtime unavailable: " + parity::OrtRunner::why_unavailable());
    }
    parity::OrtRunOptions o;
    o.threads = threads;
    o.warmup = 3;
    o.iterations = iterations_b1;
    append(out.b1_ms,
           ort->run(onnx, {{"input_ids", &f1.ids}, {"attention_mask", &f1.mask}}, o).latencies_ms);
    o.iterations = iterations_b32;
    o.warmup = 2;
    append(
        out.b32_ms,
        ort->run(onnx, {{"input_ids", &f32.ids}, {"attention_mask", &f32.mask}}, o).latencies_ms);
    return;
  }
  runtime::Session session = cpu_session(onnx, provider, threads);
  const auto timed = [&](const SpeedFeeds& f, int warm, int iters, std::vector<double>& ms) {
    for (int i = 0; i < warm + iters; ++i) {
      const double dt = timed_run(session, f);
      if (i >= warm) ms.push_back(dt);
    }
  };
  timed(f1, 3, iterations_b1, out.b1_ms);
  timed(f32, 2, iterations_b32, out.b32_ms);
}

}  // namespace bog::quant
