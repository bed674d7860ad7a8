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
  std::filesystem::path out;  // runs/tune-NAME: the trials' files (and study.db without storage)
  std::string storage;        // sqlite:///path or postgresql://...; empty: sqlite:///OUT/study.db
  std::string study;          // the study's name in the storage (default: OUT's folder name)
  double heartbeat_s = 0;     // > 0: running trials write a heartbeat this often
  double grace_s = -1;        // a heartbeat older than this fails the trial (-1: 2 x heartbeat)
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
  bool maximize = true;
  std::vector<TrialRecord> trials;
};

StudySummary run_study(const StudyOptions& options);

// Where a study is: its storage, its name there and the folder of its trials' files. With no
// storage, `folder`/study.db (and the only study in it); Error(kInvalidArgument) when there is
// neither.
struct StudyLocation {
  StorageUrl url;
  std::string name;
  std::filesystem::path folder;
};
[[nodiscard]] StudyLocation locate_study(const std::string& folder, const std::string& storage,
                                         const std::string& study);

// The best complete trial (highest value, or lowest when minimised); Error(kInvalidArgument) if
// none.
[[nodiscard]] TrialRecord best_trial(const std::vector<TrialRecord>& trials,
                                     const std::filesystem::path& study, bool maximize = true);

// trials/NNNN of a study.
[[nodiscard]] std::filesystem::path trial_dir(const std::filesystem::path& study, int number);

// The best trial's best checkpoint as a bundle at `out`; the manifest records the study.
nlohmann::json promote_best_trial(const StudyLocation& study, const std::filesystem::path& out);

}  // namespace bog::tune
