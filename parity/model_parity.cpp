#include "parity/model_parity.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <map>
#include <random>
#include <tuple>

#include "common/atomic_file.h"
#include "common/error.h"
#include "model/bundle.h"
#include "model/data/ag_news.h"
#include "model/data/sha256.h"
#include "model/train/batching.h"
#include "model/train/evaluate.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/session.h"
#include "parity/ort_runner.h"

namespace bog::parity {
namespace fs = std::filesystem;

namespace {

// Deterministic pseudo-news texts for runs without the dataset.
std::vector<std::string> synthetic_texts(int n) {
  static const char* kWords[] = {
      "stocks",   "rallied",    "after",   "the",     "central",  "bank",   "cut",
      "rates",    "team",       "won",     "final",   "match",    "in",     "overtime",
      "new",      "chip",       "doubles", "battery", "life",     "talks",  "between",
      "leaders",  "stalled",    "over",    "border",  "security", "shares", "of",
      "software", "maker",      "fell",    "quarter", "profit",   "coach",  "signed",
      "season",   "scientists", "found",   "water",   "on",       "mars"};
  std::mt19937 rng(20261123);
  std::vector<std::string> texts;
  for (int i = 0; i < n; ++i) {
    const int len = 3 + static_cast<int>(rng() % 60);
    std::string t;
    for (int w = 0; w < len; ++w) {
      if (w) t += ' ';
      t += kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
    }
    texts.push_back(std::move(t));
  }
  return texts;
}

struct TextSet {
  std::vector<std::string> texts;
  std::string description;
};

TextSet load_texts(const ParityRequest& r) {
  if (!r.data) return {synthetic_texts(r.samples), "synthetic"};
  std::vector<model::Example> rows = model::read_ag_news_csv(*r.data / "test.csv");
  TextSet s;
  for (size_t i = 0; i < rows.size() && static_cast<int>(s.texts.size()) < r.samples; ++i) {
    s.texts.push_back(rows[i].text());
  }
  s.description = fmt::format("ag_news test.csv (first {} rows)", s.texts.size());
  return s;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  return fmt::format("{}", fmt::join(v, sep));
}

}  // namespace

std::pair<runtime::Tensor, runtime::Tensor> to_onnx_inputs(const model::Batch& b) {
  const int64_t bs = b.layout.batch;
  const int64_t t = b.layout.seq_len;
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

ParityReport run_model_parity(const ParityRequest& req) {
  model::LoadedBundle bundle = model::load_bundle(req.bundle);
  runtime::Model onnx_model = runtime::load_model(req.onnx);
  ParityReport report;
  report.artifact = req.onnx.filename().string();
  report.artifact_sha256 = model::sha256_file_hex(req.onnx);
  report.optimize = req.optimize;
  for (const auto& [k, v] : onnx_model.metadata) {
    if (k == "bundle_sha256") report.bundle_sha256 = v;
  }
  report.samples = req.samples;
  report.batch_sizes = req.batch_sizes;
  report.precision = std::string(runtime::precision_name(req.precision));
  report.tolerance = req.policy.for_precision(report.precision);
  const Tolerance& tol = report.tolerance;

  const TextSet texts = load_texts(req);
  report.texts = texts.description;
  model::TokenizedSet set;
  for (const std::string& t : texts.texts) {
    set.ids.push_back(model::encode_text(t, *bundle.tokenizer, bundle.config));
    set.labels.push_back(0);
  }

  // One session per interpreter provider: [requested, reference] so anything the requested
  // provider cannot run falls back visibly, as the placement report records.
  std::vector<std::optional<runtime::Session>> sessions(req.providers.size());
  std::optional<OrtRunner> ort;
  for (size_t p = 0; p < req.providers.size(); ++p) {
    ProviderParity r;
    r.provider_requested = req.providers[p];
    report.results.push_back(r);
    if (req.providers[p] == "ort") {
      ort = OrtRunner::find();
      if (!ort)
        report.results[p].error = "ONNX Runtime unavailable: " + OrtRunner::why_unavailable();
      if (ort) report.ort_version = ort->version();
      continue;
    }
    try {
      runtime::SessionOptions o;
      o.providers = {req.providers[p]};
      if (req.providers[p] != "reference") o.providers.push_back("reference");
      o.threads = req.threads;
      o.optimize = req.optimize;
      o.precision = req.precision;
      sessions[p].emplace(runtime::load_model(req.onnx), o);
      const runtime::PlacementReport& pr = sessions[p]->placement();
      report.results[p].provider_used = join(pr.used, "+");
      report.results[p].fallback_reasons = pr.fallback_reasons();
    } catch (const Error& e) {
      report.results[p].error = e.what();
    }
  }

  // Every batch of every batch size, built once: ORT then runs them all in one process.
  struct ParityBatch {
    int batch_size = 0;
    model::Batch batch;
    runtime::Tensor ids, mask;
  };
  std::vector<ParityBatch> batches;
  const int n = static_cast<int>(set.ids.size());
  for (const int bs : req.batch_sizes) {
    if (bs < 1) throw Error(ErrorCategory::kInvalidArgument, "batch sizes must be >= 1");
    for (int start = 0; start < n; start += bs) {
      std::vector<int> idx;
      for (int i = start; i < std::min(n, start + bs); ++i) idx.push_back(i);
      ParityBatch b{bs, model::make_batch(set, idx, model::Tokenizer::kPadId), {}, {}};
      std::tie(b.ids, b.mask) = to_onnx_inputs(b.batch);
      batches.push_back(std::move(b));
    }
  }
  std::vector<runtime::Tensor> ort_logits;
  for (size_t p = 0; p < req.providers.size(); ++p) {
    if (req.providers[p] != "ort" || !report.results[p].error.empty()) continue;
    try {
      std::vector<OrtRunner::Feeds> feeds;
      for (const ParityBatch& b : batches) {
        feeds.push_back({{"input_ids", &b.ids}, {"attention_mask", &b.mask}});
      }
      std::vector<OrtRunResult> runs = ort->run_sets(req.onnx, feeds, {});
      for (OrtRunResult& r : runs) ort_logits.push_back(std::move(r.outputs.at(0)));
      report.results[p].provider_used = "ort:" + (runs.empty() ? "cpu" : runs[0].provider);
    } catch (const Error& e) {
      report.results[p].error = e.what();
    }
  }

  std::vector<bool> started(req.providers.size(), false);
  for (size_t bi = 0; bi < batches.size(); ++bi) {
    const ParityBatch& b = batches[bi];
    const model::Mat eager = bundle.model->forward(b.batch.ids, b.batch.layout, false, nullptr);
    const int64_t rows = eager.rows();
    const int64_t cols = eager.cols();
    const std::span<const float> want(eager.data(), static_cast<size_t>(eager.size()));
    for (size_t p = 0; p < req.providers.size(); ++p) {
      ProviderParity& r = report.results[p];
      if (!r.error.empty()) continue;
      try {
        runtime::Tensor interpreted;
        const runtime::Tensor* logits = &interpreted;
        if (req.providers[p] == "ort") {
          logits = &ort_logits.at(bi);
        } else {
          std::map<std::string, runtime::Value> feeds;
          feeds["input_ids"] = runtime::Value::from_tensor(b.ids.clone());
          feeds["attention_mask"] = runtime::Value::from_tensor(b.mask.clone());
          auto out = sessions[p]->run(std::move(feeds));
          interpreted = std::move(out.at("logits").tensor);
        }
        const Comparison c = compare(logits->span<float>(), want, rows, cols, tol);
        if (!started[p]) {
          r.comparison = c;
          started[p] = true;
        } else {
          merge_into(r.comparison, c, tol);
        }
      } catch (const Error& e) {
        r.error = e.what();
      }
    }
    if (bi + 1 == batches.size() || batches[bi + 1].batch_size != b.batch_size) {
      spdlog::info("parity: batch size {} done ({} texts)", b.batch_size, n);
    }
  }
  report.passed = !report.results.empty();
  for (ProviderParity& r : report.results) {
    r.passed = r.error.empty() && started[static_cast<size_t>(&r - report.results.data())] &&
               r.comparison.passed;
    report.passed = report.passed && r.passed;
  }
  return report;
}

nlohmann::json ParityReport::to_json() const {
  nlohmann::json results_json = nlohmann::json::array();
  for (const ProviderParity& r : results) {
    nlohmann::json j = r.comparison.to_json();
    j["provider_requested"] = r.provider_requested;
    j["provider_used"] = r.provider_used;
    j["fallback_reasons"] = r.fallback_reasons;
    j["passed"] = r.passed;
    if (!r.error.empty()) j["error"] = r.error;
    results_json.push_back(j);
  }
  return {{"passed", passed},
          {"artifact", artifact},
          {"artifact_sha256", artifact_sha256},
          {"bundle_sha256", bundle_sha256},
          {"reference", reference},
          {"optimize", optimize},
          {"precision", precision},
          {"texts", texts},
          {"samples", samples},
          {"batch_sizes", batch_sizes},
          {"tolerance",
           {{"atol", tolerance.atol},
            {"rtol", tolerance.rtol},
            {"argmax_agreement", tolerance.min_argmax_agreement}}},
          {"ort_version", ort_version},
          {"results", results_json}};
}

fs::path parity_report_path(const fs::path& artifact, const std::string& precision) {
  const std::string tag = precision == "fp32" ? "" : "." + precision;
  return artifact.parent_path() / (artifact.filename().string() + tag + ".parity.json");
}

void write_parity_report(const fs::path& artifact, const ParityReport& report) {
  write_file_atomic(parity_report_path(artifact, report.precision),
                    report.to_json().dump(2) + "\n");
}

std::optional<nlohmann::json> read_parity_report(const fs::path& artifact,
                                                 const std::string& precision) {
  const fs::path p = parity_report_path(artifact, precision);
  std::error_code ec;
  if (!fs::exists(p, ec)) return std::nullopt;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(p));
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  if (j.value("artifact_sha256", "") != model::sha256_file_hex(artifact)) return std::nullopt;
  return j;
}

}  // namespace bog::parity
