// The study storage, kept in Optuna's RDB schema (tune/optuna_schema.h) in SQLite or PostgreSQL,
// so any number of workers on any hosts share one study and `optuna.load_study` reads it.
// Claiming the next trial is one write transaction that locks the study's row, so two workers
// never take the same trial. bog's own bookkeeping (worker, attempts, epoch times, failure
// reasons) lives in trial_system_attributes under "bog:" keys; a retry records the trial it
// retries as Optuna's RetryFailedTrialCallback does ("failed_trial", "retry_history").
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tune/search_space.h"
#include "tune/sql_connection.h"

namespace bog::tune {

enum class TrialState { kWaiting, kRunning, kComplete, kPruned, kFailed };
[[nodiscard]] std::string_view state_name(TrialState state);

struct TrialRecord {
  int number = 0;
  TrialState state = TrialState::kWaiting;
  nlohmann::json params = nlohmann::json::object();
  std::optional<double> value;  // the objective (complete, or pruned so far)
  std::string message;          // why a trial failed
  int64_t pid = 0;              // the worker running it
  std::string host;             // and its host
  double started_at = 0;        // unix seconds
  double finished_at = 0;
  int attempts = 0;              // runs started (an interrupted trial runs again)
  std::map<int, double> epochs;  // epoch (Optuna step) -> intermediate value
  std::map<int, double> epoch_seconds;
  std::optional<int> failed_trial;  // a retry: the first trial of its chain
  std::vector<int> retry_history;   // a retry: every trial it retries
  std::string trial_dir;            // where the worker kept its files
};

struct WorkerId {
  std::string host;
  int64_t pid = 0;
  std::string trial_root;  // the worker's study folder (trials/NNNN below it)
};
[[nodiscard]] WorkerId this_worker(const std::filesystem::path& trial_root);

class StudyDb {
 public:
  // Opens the storage (create: makes a missing SQLite file and Optuna's tables); the study is
  // `study_name`, or with an empty name the only study in the storage.
  StudyDb(const StorageUrl& url, std::string study_name, bool create);
  // sqlite:///path (the study folder's study.db).
  StudyDb(const std::filesystem::path& path, bool create);
  ~StudyDb();
  StudyDb(const StudyDb&) = delete;
  StudyDb& operator=(const StudyDb&) = delete;

  [[nodiscard]] bool has_study();
  // Makes the study (its direction) unless it exists; true when it made it.
  bool create_study(bool maximize);
  [[nodiscard]] bool maximize();
  [[nodiscard]] const std::string& study_name();

  void set_meta(const std::string& key, const std::string& value);
  [[nodiscard]] std::optional<std::string> meta(const std::string& key);

  [[nodiscard]] std::vector<TrialRecord> trials();

  // In one write transaction: first, with grace_s > 0, running trials whose heartbeat is older
  // than grace_s become FAIL and get a waiting retry; then a waiting trial is taken if there is
  // one, else, while fewer than `max_trials` count (a failed trial that was retried does not),
  // a new one with the parameters `propose` returns for the current trials. The claimed trial
  // is marked running by `worker` (with a first heartbeat when `heartbeat`).
  [[nodiscard]] std::optional<TrialRecord> claim(
      int max_trials, const WorkerId& worker, const SearchSpace& space, bool heartbeat,
      double grace_s,
      const std::function<nlohmann::json(const std::vector<TrialRecord>&)>& propose);

  void report(int number, int epoch, double value, double seconds);
  void finish(int number, TrialState state, std::optional<double> value,
              const std::string& message);
  void heartbeat(int number);
  // Stale trials (heartbeat older than grace_s) to FAIL with a waiting retry; their numbers.
  std::vector<int> fail_stale(double grace_s);
  // Running trials of this host whose worker process is gone go back to waiting (their
  // partial epochs dropped). Returns their numbers.
  std::vector<int> requeue_interrupted();

 private:
  int64_t study_id();
  int64_t trial_id(int number);
  std::vector<TrialRecord> read_trials();
  std::vector<int> fail_stale_locked(double grace_s);
  void lock_study();
  void set_trial_attr(int64_t trial_id, const std::string& key, const nlohmann::json& value);
  template <typename F>
  auto write(F&& f);
  std::unique_ptr<SqlConnection> db_;
  std::string study_name_;
  int64_t study_id_ = -1;
};

}  // namespace bog::tune
