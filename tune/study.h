// `bog tune`: runs a study. The parent opens (or resumes) the study database, then runs the
// trials itself or in J worker processes (the same executable with --worker) that share the
// database. A trial trains in trials/NNNN/ with its own configs, reports validation accuracy
// after each epoch, and ends complete, pruned or failed (with the reason).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tune/study_db.h"

namespace bog::tune {

struct StudyOptions {
  std::filesystem::path config;  // tune.yaml
  std::filesystem::path data_dir;
  std::filesystem::path out;  // runs/tune-NAME
  int trials = -1;            // -1: the config's
  int jobs = 1;
  double timeout_min = -1;  // -1: the config's
  bool resume = false;
  bool worker = false;  // internal: a worker process of a running study
  bool quiet = false;
  std::string mlflow_uri;
  std::filesystem::path executable;  // what the parent starts as workers (default /proc/self/exe)
};

struct StudySummary {
  int complete = 0;
  int pruned = 0;
  int failed = 0;
  int requeued = 0;  // interrupted trials put back by --resume
  std::vector<TrialRecord> trials;
};

StudySummary run_study(const StudyOptions& options);

// The best complete trial (highest validation accuracy); Error(kInvalidArgument) if none.
[[nodiscard]] TrialRecord best_trial(const std::vector<TrialRecord>& trials,
                                     const std::filesystem::path& study);

// trials/NNNN of a study.
[[nodiscard]] std::filesystem::path trial_dir(const std::filesystem::path& study, int number);

// The best trial's best checkpoint as a bundle at `out`; the manifest records the study.
nlohmann::json promote_best_trial(const std::filesystem::path& study,
                                  const std::filesystem::path& out);

}  // namespace bog::tune
