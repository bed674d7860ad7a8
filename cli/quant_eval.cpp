#include "cli/quant_eval.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "cli/cli_util.h"
#include "common/error.h"
#include "model/bundle.h"
#include "model/data/ag_news.h"
#include "model/tokenizer/tokenizer.h"
#include "model/train/batching.h"
#include "model/train/evaluate.h"
#include "onnx_runtime/session.h"
#include "parity/ort_runner.h"

namespace bog::cli {
namespace fs = std::filesystem;
namespace {

std::pair<runtime::Tensor, runtime::Tensor> onnx_inputs(const model::Batch& b) {
  const int64_t bs = b.layout.batch, t = b.layout.seq_len;
  runtime::Tensor ids(runtime::DType::kInt64, {bs, t});
  runtime::Tensor mask(runtime::DType::kInt64, {bs, t});
  for (int64_t r = 0; r < bs; ++r) {
    for (int64_t c = 0; c < t; ++c) {
      ids.data<int64_t>()[r * t + c] = b.ids[static_cast<size_t>(r * t + c)];
      mask.data<int64_t>()[r * t + c] = c < b.layout.lengths[static_cast<size_t>(r)] ? 1 : 0;
    }
  }
  return {std::move(ids), std::move(mask)};
}

std::vector<model::Example> split_examples(const model::LoadedBundle& bundle,
                                           const fs::path& data_dir, const std::string& split) {
  if (split == "test") return model::read_ag_news_csv(data_dir / "test.csv");
  const nlohmann::json& prov = bundle.manifest.value("provenance", nlohmann::json::object());
  const auto& tc = prov.value("train_config", nlohmann::json::object());
  return model::stratified_split(model::read_ag_news_csv(data_dir / "train.csv"),
                                 tc.value("valid_fraction", 0.05), tc.value("split_seed", 1ULL))
      .valid;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(std::lround(p * static_cast<double>(v.size() - 1)));
  return v[i];
}

}  // namespace

OnnxEval evaluate_onnx(const fs::path& bundle_dir, const fs::path& onnx, const fs::path& data_dir,
                       const std::string& split, const std::string& provider, int threads,
                       int batch, const std::string& precision) {
  if (provider != "cpu" && provider != "reference" && provider != "ort") {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("unknown provider '{}' (known: cpu, reference, ort)", provider));
  }
  if (!fs::is_regular_file(onnx)) {
    throw Error(ErrorCategory::kIo, fmt::format("ONNX file '{}' not found", onnx.string()));
  }
  const model::LoadedBundle bundle = model::load_bundle(bundle_dir);
  const model::TokenizedSet set = model::tokenize_examples(split_examples(bundle, data_dir, split),
                                                           *bundle.tokenizer, bundle.config);
  const int n = static_cast<int>(set.ids.size());
  const int classes = static_cast<int>(bundle.labels.size());
  // Batches of similar length: padding changes nothing (the mask), but it costs time.
  std::vector<int> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return set.ids[static_cast<size_t>(a)].size() < set.ids[static_cast<size_t>(b)].size();
  });
  struct B {
    std::vector<int> idx;
    runtime::Tensor ids, mask;
  };
  std::vector<B> batches;
  for (int s = 0; s < n; s += batch) {
    B b;
    b.idx.assign(order.begin() + s, order.begin() + std::min(n, s + batch));
    std::tie(b.ids, b.mask) = onnx_inputs(model::make_batch(set, b.idx, model::Tokenizer::kPadId));
    batches.push_back(std::move(b));
  }
  OnnxEval out;
  out.num_classes = classes;
  out.logits.assign(static_cast<size_t>(n) * classes, 0.0f);
  auto store = [&](const B& b, const runtime::Tensor& logits) {
    if (logits.dtype() != runtime::DType::kFloat32 ||
        logits.numel() != static_cast<int64_t>(b.idx.size()) * classes) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("'{}' returned logits of shape {} for a batch of {} (want [{}, {}])",
                              onnx.filename().string(), runtime::shape_to_string(logits.shape()),
                              b.idx.size(), b.idx.size(), classes));
    }
    for (size_t r = 0; r < b.idx.size(); ++r) {
      std::copy_n(logits.data<float>() + r * classes, classes,
                  out.logits.begin() + static_cast<int64_t>(b.idx[r]) * classes);
    }
  };
  if (provider == "ort") {
    const auto ort = parity::OrtRunner::find();
    if (!ort) {
      throw Error(ErrorCategory::kProviderUnavailable,
                  "ONNX Runtime unavailable: " + parity::OrtRunner::why_unavailable());
    }
    std::vector<parity::OrtRunner::Feeds> feeds;
    for (const B& b : batches)
      feeds.push_back({{"input_ids", &b.ids}, {"attention_mask", &b.mask}});
    parity::OrtRunOptions o;
    o.threads = threads;
    const std::vector<parity::OrtRunResult> runs = ort->run_sets(onnx, feeds, o);
    for (size_t i = 0; i < batches.size(); ++i) store(batches[i], runs.at(i).outputs.at(0));
    out.provider_used = "ort:" + (runs.empty() ? std::string("cpu") : runs[0].provider);
  } else {
    runtime::SessionOptions so;
    so.providers = {provider, "reference"};
    so.threads = threads;
    so.precision = runtime::parse_precision(precision);
    runtime::Session session = runtime::Session::from_file(onnx, so);
    for (const B& b : batches) {
      std::map<std::string, runtime::Value> feeds;
      feeds["input_ids"] = runtime::Value::from_tensor(b.ids.clone());
      feeds["attention_mask"] = runtime::Value::from_tensor(b.mask.clone());
      auto res = session.run(std::move(feeds));
      store(b, res.at("logits").tensor);
    }
    const auto& used = session.placement().used;
    out.provider_used = fmt::format("{}", fmt::join(used, "+"));
  }
  model::MetricsAccumulator acc(classes);
  std::vector<float> p(static_cast<size_t>(classes));
  for (int i = 0; i < n; ++i) {
    const float* l = out.logits.data() + static_cast<size_t>(i) * classes;
    const float mx = *std::max_element(l, l + classes);
    double z = 0;
    for (int c = 0; c < classes; ++c) z += std::exp(static_cast<double>(l[c] - mx));
    for (int c = 0; c < classes; ++c)
      p[static_cast<size_t>(c)] = static_cast<float>(std::exp(static_cast<double>(l[c] - mx)) / z);
    acc.add(p, set.labels[static_cast<size_t>(i)]);
  }
  out.metrics = acc.finish();
  const nlohmann::json& prov = bundle.manifest.value("provenance", nlohmann::json::object());
  const auto& m = out.metrics;
  out.report = {
      {"schema", "bog-eval 1"},
      {"model", bundle_dir.filename().string()},
      {"architecture", bundle.config.architecture},
      {"split", split},
      {"accuracy", m.accuracy},
      {"macro_f1", m.macro_f1},
      {"ece", m.ece},
      {"nll", m.nll},
      {"n", m.n},
      {"num_params", bundle.manifest.value("num_params", 0)},
      {"train_rows", prov.value("data_rows", 0)},
      {"train_sha256", prov.value("data_sha256", "")},
      {"onnx", onnx.filename().string()},
      {"provider", provider},
      {"provider_used", out.provider_used},
      {"precision", provider == "ort" ? nlohmann::json("fp32") : precision_json(precision)}};
  return out;
}

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

}  // namespace bog::cli
