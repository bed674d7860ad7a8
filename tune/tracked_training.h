// `bog train` as a tracked run: run.json in the output folder (and MLflow when asked) written
// before training starts, each epoch's validation metrics logged, the run finished as FINISHED
// with its summary or FAILED with the error.
#pragma once

#include <string>

#include "model/train/trainer.h"

namespace bog::tune {

// Trains with `options` (its on_epoch is replaced by the tracker's). A run that never started
// (bad data, bad config) leaves no output folder behind; one that trained and then failed
// keeps its record, marked FAILED. Rethrows the training error.
[[nodiscard]] model::TrainSummary run_tracked_training(model::TrainOptions options,
                                                       const std::string& mlflow_uri);

}  // namespace bog::tune
