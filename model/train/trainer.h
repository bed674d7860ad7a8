// The training run behind `bog train`: data, tokenizer, model, AdamW loop, validation each
// epoch, JSON-lines metrics and checkpoints in the run directory.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace bog::model {

struct TrainOptions {
  std::filesystem::path model_config;
  std::filesystem::path train_config;
  std::filesystem::path data_dir;  // holds train.csv
  std::filesystem::path out_dir;   // runs/NAME
  bool resume = false;
  // Stop (with a checkpoint) after this many total steps without changing the schedule; used to
  // interrupt runs in tests and smoke runs. 0: run to the end.
  int64_t stop_after_steps = 0;
  std::string command;  // the command line, recorded as provenance
  bool quiet = false;   // no progress output
  // Called after each epoch's validation with the epoch (1-based) and the validation metrics;
  // returning false ends the run there (a pruned trial). Unset: every epoch runs.
  std::function<bool(int epoch, const nlohmann::json& valid)> on_epoch;
};

struct TrainSummary {
  int64_t steps = 0;
  // Optimizer steps this call executed (after a resume: only those past the checkpoint).
  int64_t steps_run = 0;
  double train_seconds = 0;
  double tokens_per_second = 0;
  double best_valid_accuracy = 0;    // classifiers
  double best_valid_perplexity = 0;  // decoder LMs
  bool is_lm = false;
  // Empty when no epoch ended yet (a --stop-after inside the first epoch): nothing was validated.
  std::filesystem::path best_checkpoint;
  std::filesystem::path last_checkpoint;
  bool stopped_by_callback = false;  // on_epoch returned false
};

// Layout of a run directory: config.json (resolved configs), metrics.jsonl, tokenizer.model,
// checkpoints/step_<8 digits>.safetensors (the last keep_last) and checkpoints/best.safetensors.
// Starting a fresh run where checkpoints exist, or resuming where none exist, throws
// Error(kInvalidArgument).
TrainSummary run_training(const TrainOptions& options);

// The newest step checkpoint in a run directory, if any.
[[nodiscard]] std::optional<std::filesystem::path> latest_checkpoint(
    const std::filesystem::path& out_dir);

}  // namespace bog::model
