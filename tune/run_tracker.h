// Run tracking for every `bog train` and every trial: run.json in the run's folder holds the
// parameters, per-epoch metrics, system info, git commit, artifacts and status. It is written
// (atomically) before anything is sent to an optional MLflow server, so a server that is down
// loses nothing; a failing server is reported once and then left alone.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bog::tune {

class MlflowClient;

struct RunStart {
  std::string name;
  std::string kind = "train";  // "train" or "trial"
  nlohmann::json params;       // flat: key -> scalar
  nlohmann::json tags = nlohmann::json::object();
  std::string mlflow_uri;  // empty: local only
};

class RunTracker {
 public:
  RunTracker(std::filesystem::path run_dir, RunStart start);
  ~RunTracker();
  RunTracker(const RunTracker&) = delete;
  RunTracker& operator=(const RunTracker&) = delete;

  // Metrics of one epoch, e.g. {"valid_accuracy": 0.9, "valid_nll": 0.3}.
  void log_epoch(int epoch, const nlohmann::json& metrics);
  // status: FINISHED, FAILED or KILLED (MLflow's names); artifacts relative to the run folder.
  void finish(const std::string& status, const nlohmann::json& summary,
              const std::vector<std::string>& artifacts);

  [[nodiscard]] const nlohmann::json& record() const { return record_; }

 private:
  void save();
  void remote(const std::function<void()>& call);
  std::filesystem::path dir_;
  nlohmann::json record_;
  std::unique_ptr<MlflowClient> mlflow_;
  std::string mlflow_run_id_;
};

// A flat key -> scalar view of nested JSON ("train.lr": 0.002).
[[nodiscard]] nlohmann::json flatten(const nlohmann::json& j, const std::string& prefix = "");

// run.json of every run below `root` (sorted by start time), each with "dir" added.
[[nodiscard]] std::vector<nlohmann::json> find_runs(const std::filesystem::path& root);
// A run folder, a run.json, or a run id (or a unique prefix of one) below `root`.
[[nodiscard]] nlohmann::json load_run(const std::string& ref, const std::filesystem::path& root);

// The repository's commit (git rev-parse HEAD in the working directory), or "unknown".
[[nodiscard]] std::string git_commit();

}  // namespace bog::tune
