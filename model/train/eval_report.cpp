#include "model/train/eval_report.h"

#include <chrono>

#include "model/bundle.h"
#include "model/data/ag_news_files.h"
#include "model/data/sha256.h"
#include "model/lm/lm_objective.h"
#include "model/train/evaluate.h"

namespace bog::model {

std::vector<Example> split_examples(const nlohmann::json& prov,
                                    const std::filesystem::path& data_dir,
                                    const std::string& split) {
  if (split == "test") return read_ag_news_csv(data_dir / "test.csv");
  const auto& tc = prov.value("train_config", nlohmann::json::object());
  return stratified_split(read_ag_news_csv(data_dir / "train.csv"),
                          tc.value("valid_fraction", 0.05), tc.value("split_seed", 1ULL))
      .valid;
}

nlohmann::json classifier_eval_json(const std::filesystem::path& bundle_dir,
                                    const nlohmann::json& manifest, const std::string& architecture,
                                    const std::string& split, const ClassificationMetrics& m) {
  const nlohmann::json& prov = manifest.value("provenance", nlohmann::json::object());
  return {{"schema", "bog-eval 1"},
          {"model", bundle_dir.filename().string()},
          {"architecture", architecture},
          {"split", split},
          {"accuracy", m.accuracy},
          {"macro_f1", m.macro_f1},
          {"ece", m.ece},
          {"nll", m.nll},
          {"n", m.n},
          {"num_params", manifest.value("num_params", 0)},
          {"train_rows", prov.value("data_rows", 0)},
          {"train_sha256", prov.value("data_sha256", "")}};
}

nlohmann::json evaluate_lm_bundle(const std::filesystem::path& bundle_dir,
                                  const std::filesystem::path& data_dir, const std::string& split) {
  auto bundle = load_lm_bundle(bundle_dir);
  const nlohmann::json& prov = bundle.manifest.value("provenance", nlohmann::json::object());
  const auto examples = split_examples(prov, data_dir, split);
  const auto set = tokenize_documents(examples, *bundle.tokenizer, bundle.config);
  const PerplexityResult r = evaluate_perplexity(*bundle.model, set);
  return lm_eval_json(bundle_dir, bundle.manifest, bundle.config.architecture, split, r.nll,
                      r.perplexity, r.tokens, r.documents);
}

nlohmann::json lm_eval_json(const std::filesystem::path& bundle_dir, const nlohmann::json& manifest,
                            const std::string& architecture, const std::string& split, double nll,
                            double perplexity, int64_t tokens, int64_t documents) {
  const nlohmann::json& prov = manifest.value("provenance", nlohmann::json::object());
  return {{"schema", "bog-eval 1"},
          {"model", bundle_dir.filename().string()},
          {"architecture", architecture},
          {"split", split},
          {"perplexity", perplexity},
          {"nll", nll},
          {"tokens", tokens},
          {"documents", documents},
          {"num_params", manifest.value("num_params", 0)},
          {"train_rows", prov.value("data_rows", 0)},
          {"train_sha256", prov.value("data_sha256", "")}};
}

BundleEval evaluate_bundle(const std::filesystem::path& bundle_dir,
                           const std::filesystem::path& data_dir, const std::string& split) {
  auto bundle = load_bundle(bundle_dir);
  const nlohmann::json& prov = bundle.manifest.value("provenance", nlohmann::json::object());
  const std::vector<Example> examples = split_examples(prov, data_dir, split);
  const auto set = tokenize_examples(examples, *bundle.tokenizer, bundle.config);
  BundleEval out;
  out.metrics = evaluate(*bundle.model, set).metrics;
  out.labels = bundle.labels;
  out.report = classifier_eval_json(bundle_dir, bundle.manifest, bundle.config.architecture, split,
                                    out.metrics);
  return out;
}

nlohmann::json run_baseline(const std::filesystem::path& data_dir, const BaselineConfig& config) {
  const auto train_path = data_dir / "train.csv";
  const auto train = read_ag_news_csv(train_path);
  const auto test = read_ag_news_csv(data_dir / "test.csv");
  const std::string train_sha = sha256_file_hex(train_path);
  const auto start = std::chrono::steady_clock::now();
  const auto clf = FastTextClassifier::train(train, kAgNewsNumClasses, config);
  const double train_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MetricsAccumulator acc(kAgNewsNumClasses);
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
          {"train_status", file_status_name(classify_ag_news_file("train.csv", train_sha))},
          {"train_seconds", train_s}};
}

}  // namespace bog::model
