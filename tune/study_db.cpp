#include "tune/study_db.h"

#include <fmt/format.h>
#include <signal.h>
#include <sqlite3.h>

#include <cerrno>
#include <chrono>

#include "common/error.h"

namespace bog::tune {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TrialState parse_state(std::string_view s) {
  if (s == "running") return TrialState::kRunning;
  if (s == "complete") return TrialState::kComplete;
  if (s == "pruned") return TrialState::kPruned;
  if (s == "failed") return TrialState::kFailed;
  return TrialState::kWaiting;
}

// A prepared statement that finalizes itself.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::filesystem::path& path) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
      throw Error(ErrorCategory::kIo,
                  fmt::format("{}: {} ({})", path.string(), sqlite3_errmsg(db), sql));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  // True while a row is available.
  bool step(const std::filesystem::path& path) {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw Error(ErrorCategory::kIo, fmt::format("{}: {}", path.string(), sqlite3_errmsg(db_)));
  }
  int64_t int_at(int i) const { return sqlite3_column_int64(stmt_, i); }
  double double_at(int i) const { return sqlite3_column_double(stmt_, i); }
  bool null_at(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  std::string text_at(int i) const {
    const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return t ? std::string(t) : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

std::string_view state_name(TrialState state) {
  switch (state) {
    case TrialState::kWaiting:
      return "waiting";
    case TrialState::kRunning:
      return "running";
    case TrialState::kComplete:
      return "complete";
    case TrialState::kPruned:
      return "pruned";
    case TrialState::kFailed:
      return "failed";
  }
  return "?";
}

StudyDb::StudyDb(const std::filesystem::path& path, bool create) : path_(path) {
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(ErrorCategory::kIo,
                fmt::format("cannot open study database {}: {}", path.string(), why));
  }
  sqlite3_busy_timeout(db_, 120000);
  // WAL: readers never block the writer; a killed worker's open transaction rolls back.
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  exec(
      "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS trials (number INTEGER PRIMARY KEY, state TEXT NOT NULL,"
      " params TEXT NOT NULL, value REAL, message TEXT NOT NULL DEFAULT '', pid INTEGER,"
      " started_at REAL, finished_at REAL, attempts INTEGER NOT NULL DEFAULT 0);"
      "CREATE TABLE IF NOT EXISTS trial_values (number INTEGER NOT NULL, epoch INTEGER NOT NULL,"
      " value REAL NOT NULL, seconds REAL NOT NULL, PRIMARY KEY (number, epoch));");
}

StudyDb::~StudyDb() { sqlite3_close(db_); }

void StudyDb::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string why = err ? err : "unknown error";
    sqlite3_free(err);
    throw Error(ErrorCategory::kIo, fmt::format("{}: {}", path_.string(), why));
  }
}

void StudyDb::set_meta(const std::string& key, const std::string& value) {
  Statement s(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", path_);
  s.bind(1, key).bind(2, value);
  (void)s.step(path_);
}

std::optional<std::string> StudyDb::meta(const std::string& key) {
  Statement s(db_, "SELECT value FROM meta WHERE key = ?", path_);
  s.bind(1, key);
  if (!s.step(path_)) return std::nullopt;
  return s.text_at(0);
}

std::vector<TrialRecord> StudyDb::read_trials() {
  std::vector<TrialRecord> out;
  {
    Statement s(db_,
                "SELECT number, state, params, value, message, pid, started_at, finished_at,"
                " attempts FROM trials ORDER BY number",
                path_);
    while (s.step(path_)) {
      TrialRecord t;
      t.number = static_cast<int>(s.int_at(0));
      t.state = parse_state(s.text_at(1));
      t.params = nlohmann::json::parse(s.text_at(2), nullptr, false);
      if (!s.null_at(3)) t.value = s.double_at(3);
      t.message = s.text_at(4);
      t.pid = s.int_at(5);
      t.started_at = s.double_at(6);
      t.finished_at = s.double_at(7);
      t.attempts = static_cast<int>(s.int_at(8));
      out.push_back(std::move(t));
    }
  }
  Statement v(db_, "SELECT number, epoch, value, seconds FROM trial_values", path_);
  while (v.step(path_)) {
    const auto n = static_cast<size_t>(v.int_at(0));
    for (auto& t : out) {
      if (static_cast<size_t>(t.number) == n) {
        t.epochs[static_cast<int>(v.int_at(1))] = v.double_at(2);
        t.epoch_seconds[static_cast<int>(v.int_at(1))] = v.double_at(3);
      }
    }
  }
  return out;
}

std::vector<TrialRecord> StudyDb::trials() {
  exec("BEGIN");
  try {
    auto out = read_trials();
    exec("COMMIT");
    return out;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::optional<TrialRecord> StudyDb::claim(
    int max_trials, int64_t pid,
    const std::function<nlohmann::json(const std::vector<TrialRecord>&)>& propose) {
  exec("BEGIN IMMEDIATE");
  try {
    std::vector<TrialRecord> all = read_trials();
    std::optional<TrialRecord> claimed;
    for (auto& t : all) {
      if (t.state == TrialState::kWaiting) {
        claimed = t;
        break;
      }
    }
    if (!claimed && static_cast<int>(all.size()) < max_trials) {
      TrialRecord t;
      t.number = all.empty() ? 0 : all.back().number + 1;
      t.params = propose(all);
      Statement s(db_, "INSERT INTO trials (number, state, params) VALUES (?, 'waiting', ?)",
                  path_);
      s.bind(1, static_cast<int64_t>(t.number)).bind(2, t.params.dump());
      (void)s.step(path_);
      claimed = t;
    }
    if (claimed) {
      claimed->state = TrialState::kRunning;
      claimed->pid = pid;
      claimed->started_at = now_seconds();
      claimed->attempts += 1;
      Statement s(db_,
                  "UPDATE trials SET state = 'running', pid = ?, started_at = ?,"
                  " attempts = attempts + 1 WHERE number = ?",
                  path_);
      s.bind(1, pid).bind(2, claimed->started_at).bind(3, static_cast<int64_t>(claimed->number));
      (void)s.step(path_);
    }
    exec("COMMIT");
    return claimed;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void StudyDb::report(int number, int epoch, double value, double seconds) {
  Statement s(db_,
              "INSERT OR REPLACE INTO trial_values (number, epoch, value, seconds)"
              " VALUES (?, ?, ?, ?)",
              path_);
  s.bind(1, static_cast<int64_t>(number)).bind(2, static_cast<int64_t>(epoch));
  s.bind(3, value).bind(4, seconds);
  (void)s.step(path_);
}

void StudyDb::finish(int number, TrialState state, std::optional<double> value,
                     const std::string& message) {
  Statement s(db_,
              "UPDATE trials SET state = ?, value = ?, message = ?, finished_at = ?"
              " WHERE number = ?",
              path_);
  s.bind(1, std::string(state_name(state)));
  if (value) {
    s.bind(2, *value);
  } else {
    s.bind_null(2);
  }
  s.bind(3, message).bind(4, now_seconds()).bind(5, static_cast<int64_t>(number));
  (void)s.step(path_);
}

std::vector<int> StudyDb::requeue_interrupted() {
  exec("BEGIN IMMEDIATE");
  try {
    std::vector<int> requeued;
    for (const auto& t : read_trials()) {
      if (t.state != TrialState::kRunning) continue;
      // kill(pid, 0) fails with ESRCH once the worker is gone.
      const bool alive = t.pid > 0 && (::kill(static_cast<pid_t>(t.pid), 0) == 0 || errno == EPERM);
      if (alive) continue;
      requeued.push_back(t.number);
      Statement u(db_, "UPDATE trials SET state = 'waiting', pid = NULL WHERE number = ?", path_);
      u.bind(1, static_cast<int64_t>(t.number));
      (void)u.step(path_);
      Statement d(db_, "DELETE FROM trial_values WHERE number = ?", path_);
      d.bind(1, static_cast<int64_t>(t.number));
      (void)d.step(path_);
    }
    exec("COMMIT");
    return requeued;
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

}  // namespace bog::tune
