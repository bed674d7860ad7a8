// The study database: one SQLite file (study.db in the study folder) shared by every worker
// process. Trials carry their parameters, state, per-epoch values and timings; claiming the
// next trial is one write transaction, so parallel workers never take the same one.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace bog::tune {

enum class TrialState { kWaiting, kRunning, kComplete, kPruned, kFailed };
[[nodiscard]] std::string_view state_name(TrialState state);

struct TrialRecord {
  int number = 0;
  TrialState state = TrialState::kWaiting;
  nlohmann::json params;
  std::optional<double> value;  // best validation accuracy (complete, or pruned so far)
  std::string message;          // why a trial failed
  int64_t pid = 0;              // the worker running it
  double started_at = 0;        // unix seconds
  double finished_at = 0;
  int attempts = 0;              // runs started (an interrupted trial runs again)
  std::map<int, double> epochs;  // epoch -> validation accuracy
  std::map<int, double> epoch_seconds;
};

class StudyDb {
 public:
  // Opens (create: makes) the database. Error(kIo) when it cannot.
  StudyDb(const std::filesystem::path& path, bool create);
  ~StudyDb();
  StudyDb(const StudyDb&) = delete;
  StudyDb& operator=(const StudyDb&) = delete;

  void set_meta(const std::string& key, const std::string& value);
  [[nodiscard]] std::optional<std::string> meta(const std::string& key);

  [[nodiscard]] std::vector<TrialRecord> trials();

  // In one write transaction: a waiting (re-queued) trial if there is one, else, while fewer
  // than `max_trials` exist, a new one with the parameters `propose` returns for the current
  // trials. The claimed trial is marked running by `pid`. nullopt: the budget is used up.
  [[nodiscard]] std::optional<TrialRecord> claim(
      int max_trials, int64_t pid,
      const std::function<nlohmann::json(const std::vector<TrialRecord>&)>& propose);

  void report(int number, int epoch, double value, double seconds);
  void finish(int number, TrialState state, std::optional<double> value,
              const std::string& message);
  // Running trials whose worker process is gone go back to waiting (their partial epochs
  // dropped). Returns their numbers.
  std::vector<int> requeue_interrupted();

 private:
  void exec(const std::string& sql);
  std::vector<TrialRecord> read_trials();
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

}  // namespace bog::tune
