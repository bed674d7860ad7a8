// Accuracy figures as "bog-eval 1" JSON objects, one place for `bog eval` (the Eigen model or an
// ONNX artifact), `bog baseline`, `bog pipeline` and the quantization report, so the numbers
// in evidence are computed exactly as the commands print them.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/baseline/fasttext_classifier.h"
#include "model/data/ag_news.h"
#include "model/metrics/classification_metrics.h"

namespace bog::model {

// The rows of a split: test.csv, or the validation part of train.csv that the bundle's
// provenance ("train_config": valid_fraction, split_seed) records.
[[nodiscard]] std::vector<Example> split_examples(const nlohmann::json& provenance,
                                                  const std::filesystem::path& data_dir,
                                                  const std::string& split);

// {"schema":"bog-eval 1","model":<bundle folder name>,"architecture":..,"split":..,
//  "accuracy":..,"macro_f1":..,"ece":..,"nll":..,"n":..,"num_params":..,"train_rows":..,
//  "train_sha256":..} of a classifier bundle (its manifest) scored on `split`.
[[nodiscard]] nlohmann::json classifier_eval_json(const std::filesystem::path& bundle_dir,
                                                  const nlohmann::json& manifest,
                                                  const std::string& architecture,
                                                  const std::string& split,
                                                  const ClassificationMetrics& metrics);

struct BundleEval {
  std::vector<std::string> labels;
  ClassificationMetrics metrics;
  nlohmann::json report;  // classifier_eval_json
};

// Scores a bundle's Eigen model on test.csv or on the validation split of train.csv.
[[nodiscard]] BundleEval evaluate_bundle(const std::filesystem::path& bundle_dir,
                                         const std::filesystem::path& data_dir,
                                         const std::string& split);

// A decoder LM bundle's next-token perplexity on the same split (documents BOS + text + EOS):
// {"schema":"bog-eval 1",..,"perplexity":..,"nll":..,"tokens":..,"documents":..}
// An LM's perplexity report ({"schema": "bog-eval 1", model, architecture, split, perplexity,
// nll, tokens, documents, num_params, train_rows, train_sha256}), whoever computed it.
[[nodiscard]] nlohmann::json lm_eval_json(const std::filesystem::path& bundle_dir,
                                          const nlohmann::json& manifest,
                                          const std::string& architecture, const std::string& split,
                                          double nll, double perplexity, int64_t tokens,
                                          int64_t documents);

[[nodiscard]] nlohmann::json evaluate_lm_bundle(const std::filesystem::path& bundle_dir,
                                                const std::filesystem::path& data_dir,
                                                const std::string& split);

// Trains the fastText-style baseline on train.csv and scores it on test.csv:
// {"schema":"bog-eval 1","model":"baseline",..,"accuracy":..,"macro_f1":..,"n":..,
//  "train_rows":..,"train_sha256":..,"train_status":..,"train_seconds":..}
[[nodiscard]] nlohmann::json run_baseline(const std::filesystem::path& data_dir,
                                          const BaselineConfig& config);

}  // namespace bog::model
