// Accuracy figures as JSON objects, shared by `bog eval`, `bog baseline` and `bog pipeline` so
// the numbers in evidence are computed exactly as the commands print them.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "model/baseline/fasttext_classifier.h"
#include "model/metrics/classification_metrics.h"

namespace bog::cli {

struct BundleEval {
  std::vector<std::string> labels;
  model::ClassificationMetrics metrics;
  // {"schema":"bog-eval 1","model":..,"architecture":..,"split":..,"accuracy":..,"macro_f1":..,
  //  "ece":..,"nll":..,"n":..,"num_params":..,"train_rows":..,"train_sha256":..}
  nlohmann::json report;
};

// Scores a bundle on test.csv or on the validation split of train.csv (the split recorded in
// the bundle's provenance).
[[nodiscard]] BundleEval evaluate_bundle(const std::filesystem::path& bundle_dir,
                                         const std::filesystem::path& data_dir,
                                         const std::string& split);

// A decoder LM bundle's next-token perplexity on the same split (documents BOS + text + EOS):
// {"schema":"bog-eval 1",..,"perplexity":..,"nll":..,"tokens":..,"documents":..}
[[nodiscard]] nlohmann::json evaluate_lm_bundle(const std::filesystem::path& bundle_dir,
                                                const std::filesystem::path& data_dir,
                                                const std::string& split);

// Trains the fastText-style baseline on train.csv and scores it on test.csv:
// {"schema":"bog-eval 1","model":"baseline",..,"accuracy":..,"macro_f1":..,"n":..,
//  "train_rows":..,"train_sha256":..,"train_status":..,"train_seconds":..}
[[nodiscard]] nlohmann::json run_baseline(const std::filesystem::path& data_dir,
                                          const model::BaselineConfig& config);

}  // namespace bog::cli
