#include "tune/tracked_training.h"

#include <filesystem>
#include <system_error>

#include "common/atomic_file.h"
#include "model/model_config.h"
#include "model/train/train_config.h"
#include "tune/run_tracker.h"

namespace bog::tune {

model::TrainSummary run_tracked_training(model::TrainOptions options,
                                         const std::string& mlflow_uri) {
  // Tracking: run.json in --out (and MLflow when asked), written before training starts.
  nlohmann::json params;
  if (options.resume && std::filesystem::exists(options.out_dir / "config.json")) {
    params = nlohmann::json::parse(read_file(options.out_dir / "config.json"));
    params.erase("data");
  } else {
    params = {{"model", model::to_json(model::load_model_config(options.model_config))},
              {"train", model::to_json(model::load_train_config(options.train_config))}};
  }
  RunStart start{options.out_dir.filename().string(),
                 "train",
                 params,
                 {{"command", options.command}, {"resume", options.resume}},
                 mlflow_uri};
  const bool out_existed = std::filesystem::exists(options.out_dir);
  RunTracker tracker(options.out_dir, start);
  options.on_epoch = [&tracker](int epoch, const nlohmann::json& valid) {
    tracker.log_epoch(epoch, {{"valid", valid}});
    return true;
  };
  model::TrainSummary summary;
  try {
    summary = model::run_training(options);
  } catch (const std::exception& e) {
    // A run that never started (bad data, bad config) leaves no folder behind; one that
    // trained and then failed keeps its record, marked FAILED.
    std::error_code ec;
    if (!out_existed && !std::filesystem::exists(options.out_dir / "checkpoints", ec)) {
      std::filesystem::remove_all(options.out_dir, ec);
    } else {
      tracker.finish("FAILED", {{"error", e.what()}}, {});
    }
    throw;
  }
  tracker.finish(
      "FINISHED",
      {{summary.best_valid_perplexity > 0 ? "best_valid_perplexity" : "best_valid_accuracy",
        summary.best_valid_perplexity > 0 ? summary.best_valid_perplexity
                                          : summary.best_valid_accuracy},
       {"steps", summary.steps},
       {"train_seconds", summary.train_seconds},
       {"tokens_per_second", summary.tokens_per_second}},
      {"checkpoints/best.safetensors", "metrics.jsonl", "config.json", "tokenizer.model"});
  return summary;
}

}  // namespace bog::tune
