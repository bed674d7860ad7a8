#include "cli/accuracy_reports.h"

#include <chrono>

#include "model/bundle.h"
#include "model/data/ag_news.h"
#include "model/data/ag_news_files.h"
#include "model/data/sha256.h"
#include "model/lm/lm_objective.h"
#include "model/train/evaluate.h"

namespace bog::cli {

namespace {

std::vector<model::Example> split_rows(const nlohmann::json& prov,
                                       const std::filesystem::path& data_dir,
                                       const std::string& split) {
  if (split == "test") return model::read_ag_news_csv(data_dir / "test.csv");
  const auto& tc = prov.value("train_config", nlohmann::json::object());
  return model::stratified_split(model::read_ag_news_csv(data_dir / "train.csv"),
                                 tc.value("valid_fraction", 0.05), tc.value("split_seed", 1ULL))
      .valid;
}

}  // namespace

nlohmann::json evaluate_lm_bundle(const std::filesystem::path& bundle_dir,
                                  const std::filesystem::path& data_dir, const std::string& split) {
  auto bundle = model::load_lm_bundle(bundle_dir);
  const nlohmann::json& prov = bundle.manifest.value("provenance", nlohmann::json::object());
  const auto examples = split_rows(prov, data_dir, split);
  const auto set = model::tokenize_documents(examples, *bundle.tokenizer, bundle.config);
  const model::PerplexityResult r = model::evaluate_perplexity(*bundle.model, set);
  return {{"schema", "bog-eval 1"},
          {"model", bundle_dir.filename().string()},
          {"architecture", bundle.config.architecture},
          {"split", split},
          {"perplexity", r.perplexity},
          {"nll", r.nll},
          {"tokens", r.tokens},
          {"documents", r.documents},
          {"num_params", bundle.manifest.value("num_params", 0)},
          {"train_rows", prov.value("data_rows", 0)},
          {"train_sha256", prov.value("data_sha256", "")}};
}

BundleEval evaluate_bundle(const std::filesystem::path& bundle_dir,
                           const std::filesystem::path& data_dir, const std::string& split) {
  auto bundle = model::load_bundle(bundle_dir);
  const nlohmann::json& prov = bundle.manifest.value("provenance", nlohmann::json::object());
  const std::vector<model::Example> examples = split_rows(prov, data_dir, split);
  const auto set = model::tokenize_examples(examples, *bundle.tokenizer, bundle.config);
  BundleEval out;
  out.metrics = model::evaluate(*bundle.model, set).metrics;
  out.labels = bundle.labels;
  const auto& m = out.metrics;
  out.report = {{"schema", "bog-eval 1"},
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
                {"train_sha256", prov.value("data_sha256", "")}};
  return out;
}

nlohmann::json run_baseline(const std::filesystem::path& data_dir,
                            const model::BaselineConfig& config) {
  const auto train_path = data_dir / "train.csv";
  const auto train = model::read_ag_news_csv(train_path);
  const auto test = model::read_ag_news_csv(data_dir / "test.csv");
  const std::string train_sha = model::sha256_file_hex(train_path);
  const auto start = std::chrono::steady_clock::now();
  const auto clf = model::FastTextClassifier::train(train, model::kAgNewsNumClasses, config);
  const double train_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  model::MetricsAccumulator acc(model::kAgNewsNumClasses);
  for (const auto& ex : test) acc.add(clf.predict_proba(ex.text()), ex.label);
  const auto m = acc.finish();
  return {{"schema", "bog-eval 1"},
          {"model", "baseline"},
          {"architecture", "fasttext_hashed_bigrams"},
          {"split", "test"},
          {"accuracy", m.accuracy},
          {"macro_f1", m.macro_f1},
          {"ece", m.ece},
          {"nll", m.nll},
          {"n", m.n},
          {"train_rows", train.size()},
          {"train_sha256", train_sha},
          {"train_status",
           model::file_status_name(model::classify_ag_news_file("train.csv", train_sha))},
          {"train_seconds", train_s}};
}

}  // namespace bog::cli
