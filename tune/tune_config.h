// configs/tune.yaml: the base model and training configs, the search space, the sampler, the
// pruner and the trial budget of a study.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "tune/pruner.h"
#include "tune/search_space.h"

namespace bog::tune {

struct TuneConfig {
  std::filesystem::path base_model;  // model YAML every trial starts from
  std::filesystem::path base_train;  // training YAML every trial starts from
  std::filesystem::path tokenizer;   // optional: a tokenizer.model every trial reuses
  std::string sampler = "gp";
  int n_startup = -1;  // -1: the sampler's default
  uint64_t seed = 0;
  int trials = 20;
  double timeout_min = 0;  // 0: no limit
  PrunerConfig pruner;
  // A synthetic objective instead of training: `objective: {function: branin | hartmann6,
  // seconds: S}` evaluates the test function (minimised) on the params after S seconds, so
  // the distributed machinery runs in seconds. Empty: train and maximise validation accuracy.
  std::string objective_function;
  double objective_seconds = 0;
  SearchSpace space;
  nlohmann::json source;  // the file as JSON, stored in the study
};

// Paths in the file are relative to the working directory. Unknown keys, parameter names
// that are not model.* / train.* (with a synthetic objective: not the function's x1, x2, ...), and
// bad values throw Error(kInvalidArgument) naming the file and the key.
[[nodiscard]] TuneConfig parse_tune_config(std::string_view text, std::string_view source);
[[nodiscard]] TuneConfig load_tune_config(const std::filesystem::path& path);

// YAML text to JSON (numbers, booleans and null recognised in plain scalars).
[[nodiscard]] nlohmann::json yaml_to_json(std::string_view text, std::string_view source);

// The trial's config text: the base YAML with `overrides` (key -> value) set on top.
[[nodiscard]] std::string apply_overrides(const std::filesystem::path& base,
                                          const nlohmann::json& overrides);

}  // namespace bog::tune
