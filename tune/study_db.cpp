#include "tune/study_db.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <ctime>

#include "common/error.h"
#include "tune/optuna_schema.h"

namespace bog::tune {
namespace {

using nlohmann::json;

const char* optuna_state(TrialState s) {
  switch (s) {
    case TrialState::kWaiting:
      return "WAITING";
    case TrialState::kRunning:
      return "RUNNING";
    case TrialState::kComplete:
      return "COMPLETE";
    case TrialState::kPruned:
      return "PRUNED";
    case TrialState::kFailed:
      return "FAIL";
  }
  return "FAIL";
}

TrialState parse_state(const std::string& s) {
  if (s == "RUNNING") return TrialState::kRunning;
  if (s == "COMPLETE") return TrialState::kComplete;
  if (s == "PRUNED") return TrialState::kPruned;
  if (s == "FAIL") return TrialState::kFailed;
  return TrialState::kWaiting;
}

// Local time with microseconds, as Optuna writes datetime_start/complete.
std::string datetime_text(std::chrono::system_clock::time_point t) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us % 1000000);
}

// "YYYY-MM-DD HH:MM:SS[.ffffff]" (local time) to unix seconds; 0 when absent.
double parse_datetime(const SqlCell& cell) {
  if (!cell) return 0;
  std::tm tm{};
  double sec = 0;
  if (std::sscanf(cell->c_str(), "%d-%d-%d %d:%d:%lf", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &sec) != 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_sec = 0;
  tm.tm_isdst = -1;
  return static_cast<double>(std::mktime(&tm)) + sec;
}

double to_double(const SqlCell& c) { return c ? std::strtod(c->c_str(), nullptr) : 0.0; }
int64_t to_int(const SqlCell& c) { return c ? std::strtoll(c->c_str(), nullptr, 10) : 0; }

// Optuna's value_type for a float: FINITE, INF_POS, INF_NEG (NaN only for intermediates).
std::pair<SqlParam, std::string> typed_value(double v) {
  if (std::isnan(v)) return {nullptr, "NAN"};
  if (std::isinf(v)) return {nullptr, v > 0 ? "INF_POS" : "INF_NEG"};
  return {v, "FINITE"};
}

std::optional<double> read_typed(const SqlCell& value, const SqlCell& type) {
  const std::string t = type.value_or("FINITE");
  if (t == "INF_POS") return std::numeric_limits<double>::infinity();
  if (t == "INF_NEG") return -std::numeric_limits<double>::infinity();
  if (t == "NAN" || !value) return std::nullopt;
  return to_double(value);
}

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

WorkerId this_worker(const std::filesystem::path& trial_root) {
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  return {host, static_cast<int64_t>(::getpid()),
          std::filesystem::absolute(trial_root).lexically_normal().string()};
}

template <typename F>
auto StudyDb::write(F&& f) {
  db_->begin_write();
  try {
    lock_study();
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      db_->commit();
    } else {
      auto out = f();
      db_->commit();
      return out;
    }
  } catch (...) {
    db_->rollback();
    throw;
  }
}

StudyDb::StudyDb(const StorageUrl& url, std::string study_name, bool create)
    : db_(open_sql_connection(url, create)), study_name_(std::move(study_name)) {
  const bool pg = db_->dialect() == SqlDialect::kPostgres;
  const auto tables =
      db_->query(pg ? "SELECT 1 FROM information_schema.tables WHERE table_name = 'studies' AND "
                      "table_schema = current_schema()"
                    : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'studies'");
  if (!tables.empty() || !create) return;
  db_->begin_write();
  try {
    if (pg) db_->script("SELECT pg_advisory_xact_lock(727072)");
    const auto again =
        db_->query(pg ? "SELECT 1 FROM information_schema.tables WHERE table_name = 'studies' AND "
                        "table_schema = current_schema()"
                      : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'studies'");
    if (again.empty()) {
      db_->script(pg ? optuna_postgres_ddl() : optuna_sqlite_ddl());
      db_->query(
          "INSERT INTO version_info (version_info_id, schema_version, library_version) "
          "VALUES (1, ?, ?)",
          {static_cast<int64_t>(kOptunaSchemaVersion), std::string(kOptunaLibraryVersion)});
      db_->query("INSERT INTO alembic_version (version_num) VALUES (?)",
                 {std::string(kOptunaAlembicRevision)});
    }
    db_->commit();
  } catch (...) {
    db_->rollback();
    throw;
  }
}

StudyDb::StudyDb(const std::filesystem::path& path, bool create)
    : StudyDb(StorageUrl{SqlDialect::kSqlite, path.string(), "", path.string()}, "", create) {}

StudyDb::~StudyDb() = default;

bool StudyDb::has_study() {
  if (study_id_ >= 0) return true;
  std::vector<SqlRow> rows;
  try {
    rows = study_name_.empty()
               ? db_->query("SELECT study_id, study_name FROM studies ORDER BY study_id")
               : db_->query("SELECT study_id, study_name FROM studies WHERE study_name = ?",
                            {study_name_});
  } catch (const Error&) {
    return false;  // no Optuna tables: not a study storage
  }
  if (rows.size() != 1) return false;
  study_id_ = to_int(rows[0][0]);
  study_name_ = rows[0][1].value_or("");
  return true;
}

int64_t StudyDb::study_id() {
  if (!has_study()) {
    throw Error(
        ErrorCategory::kInvalidArgument,
        study_name_.empty()
            ? fmt::format("{}: holds no study (or several: name one with --study)", db_->name())
            : fmt::format("{}: no study named '{}'", db_->name(), study_name_));
  }
  return study_id_;
}

const std::string& StudyDb::study_name() {
  (void)study_id();
  return study_name_;
}

bool StudyDb::create_study(bool maximize) {
  if (has_study()) return false;
  if (study_name_.empty()) {
    throw Error(ErrorCategory::kInvalidArgument, "a new study needs a name (--study)");
  }
  db_->begin_write();
  try {
    if (db_->dialect() == SqlDialect::kPostgres)
      db_->script("LOCK TABLE studies IN EXCLUSIVE MODE");
    bool made = false;
    if (db_->query("SELECT study_id FROM studies WHERE study_name = ?", {study_name_}).empty()) {
      const auto id = to_int(db_->query(
          "INSERT INTO studies (study_name) VALUES (?) RETURNING study_id", {study_name_})[0][0]);
      db_->query("INSERT INTO study_directions (direction, study_id, objective) VALUES (?, ?, 0)",
                 {std::string(maximize ? "MAXIMIZE" : "MINIMIZE"), id});
      made = true;
    }
    db_->commit();
    (void)study_id();
    return made;
  } catch (...) {
    db_->rollback();
    throw;
  }
}

bool StudyDb::maximize() {
  const auto rows = db_->query(
      "SELECT direction FROM study_directions WHERE study_id = ? AND objective = 0", {study_id()});
  return !rows.empty() && rows[0][0].value_or("") == "MAXIMIZE";
}

void StudyDb::lock_study() {
  if (db_->dialect() == SqlDialect::kPostgres) {
    db_->query("SELECT study_id FROM studies WHERE study_id = ? FOR UPDATE", {study_id()});
  }
}

void StudyDb::set_meta(const std::string& key, const std::string& value) {
  db_->query(
      "INSERT INTO study_system_attributes (study_id, key, value_json) VALUES (?, ?, ?) "
      "ON CONFLICT (study_id, key) DO UPDATE SET value_json = excluded.value_json",
      {study_id(), "bog:" + key, json(value).dump()});
}

std::optional<std::string> StudyDb::meta(const std::string& key) {
  const auto rows =
      db_->query("SELECT value_json FROM study_system_attributes WHERE study_id = ? AND key = ?",
                 {study_id(), "bog:" + key});
  if (rows.empty() || !rows[0][0]) return std::nullopt;
  const json j = json::parse(*rows[0][0], nullptr, false);
  return j.is_string() ? j.get<std::string>() : j.dump();
}

int64_t StudyDb::trial_id(int number) {
  const auto rows = db_->query("SELECT trial_id FROM trials WHERE study_id = ? AND number = ?",
                               {study_id(), static_cast<int64_t>(number)});
  if (rows.empty()) {
    throw Error(ErrorCategory::kIo, fmt::format("{}: no trial {}", db_->name(), number));
  }
  return to_int(rows[0][0]);
}

void StudyDb::set_trial_attr(int64_t id, const std::string& key, const json& value) {
  db_->query(
      "INSERT INTO trial_system_attributes (trial_id, key, value_json) VALUES (?, ?, ?) "
      "ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json",
      {id, key, value.dump()});
}

std::vector<TrialRecord> StudyDb::read_trials() {
  const int64_t sid = study_id();
  std::vector<TrialRecord> out;
  std::map<int64_t, size_t> by_id;
  for (const auto& r :
       db_->query("SELECT trial_id, number, state, datetime_start, datetime_complete FROM trials "
                  "WHERE study_id = ? ORDER BY number",
                  {sid})) {
    TrialRecord t;
    t.number = static_cast<int>(to_int(r[1]));
    t.state = parse_state(r[2].value_or(""));
    t.started_at = parse_datetime(r[3]);
    t.finished_at = parse_datetime(r[4]);
    by_id[to_int(r[0])] = out.size();
    out.push_back(std::move(t));
  }
  const std::string in_study =
      " WHERE trial_id IN (SELECT trial_id FROM trials WHERE study_id = ?)";
  for (const auto& r :
       db_->query("SELECT trial_id, param_name, param_value, distribution_json FROM trial_params" +
                      in_study + " ORDER BY param_id",
                  {sid})) {
    auto& t = out[by_id.at(to_int(r[0]))];
    t.params[r[1].value_or("")] =
        optuna_external_value(json::parse(r[3].value_or("{}"), nullptr, false), to_double(r[2]));
  }
  for (const auto& r : db_->query(
           "SELECT trial_id, value, value_type FROM trial_values" + in_study + " AND objective = 0",
           {sid})) {
    out[by_id.at(to_int(r[0]))].value = read_typed(r[1], r[2]);
  }
  for (const auto& r :
       db_->query("SELECT trial_id, step, intermediate_value, intermediate_value_type FROM "
                  "trial_intermediate_values" +
                      in_study,
                  {sid})) {
    const auto v = read_typed(r[2], r[3]);
    if (v) out[by_id.at(to_int(r[0]))].epochs[static_cast<int>(to_int(r[1]))] = *v;
  }
  for (const auto& r : db_->query(
           "SELECT trial_id, key, value_json FROM trial_system_attributes" + in_study, {sid})) {
    auto& t = out[by_id.at(to_int(r[0]))];
    const std::string key = r[1].value_or("");
    const json v = json::parse(r[2].value_or("null"), nullptr, false);
    if (key == "bog:worker" && v.is_object()) {
      t.pid = v.value("pid", int64_t{0});
      t.host = v.value("host", "");
      t.trial_dir = v.value("trial_dir", "");
    } else if (key == "bog:attempts" && v.is_number_integer()) {
      t.attempts = v.get<int>();
    } else if (key == "bog:epoch_seconds" && v.is_object()) {
      for (const auto& [k, s] : v.items()) t.epoch_seconds[std::stoi(k)] = s.get<double>();
    } else if (key == "fail_reason" && v.is_string()) {
      t.message = v.get<std::string>();
    } else if (key == "failed_trial" && v.is_number_integer()) {
      t.failed_trial = v.get<int>();
    } else if (key == "retry_history" && v.is_array()) {
      for (const auto& n : v) {
        if (n.is_number_integer()) t.retry_history.push_back(n.get<int>());
      }
    } else if (key == "fixed_params" && v.is_object() && t.params.empty()) {
      t.params = v;  // an enqueued Optuna trial: its parameters are fixed, not yet suggested
    }
  }
  return out;
}

std::vector<TrialRecord> StudyDb::trials() {
  (void)study_id();
  // One snapshot: under READ COMMITTED a trial a worker inserted between the query of trials
  // and that of its parameters was a parameter row of no known trial (map::at).
  db_->begin_read();
  try {
    auto out = read_trials();
    db_->commit();
    return out;
  } catch (...) {
    db_->rollback();
    throw;
  }
}

std::vector<int> StudyDb::fail_stale_locked(double grace_s) {
  std::vector<int> failed;
  if (grace_s <= 0) return failed;
  const double now = parse_datetime(db_->query("SELECT " + db_->now_sql())[0][0]);
  const auto rows = db_->query(
      "SELECT t.trial_id, t.number, h.heartbeat FROM trials t JOIN trial_heartbeats h "
      "ON h.trial_id = t.trial_id WHERE t.study_id = ? AND t.state = 'RUNNING' ORDER BY t.number",
      {study_id()});
  if (rows.empty()) return failed;
  std::vector<TrialRecord> all = read_trials();
  int next = all.empty() ? 0 : all.back().number + 1;
  for (const auto& r : rows) {
    const double age = now - parse_datetime(r[2]);
    if (age <= grace_s) continue;
    const int64_t id = to_int(r[0]);
    const int number = static_cast<int>(to_int(r[1]));
    const TrialRecord& old = all[static_cast<size_t>(number)];
    db_->query("UPDATE trials SET state = 'FAIL', datetime_complete = ? WHERE trial_id = ?",
               {datetime_text(std::chrono::system_clock::now()), id});
    set_trial_attr(id, "fail_reason",
                   fmt::format("heartbeat {:.0f} s old (grace period {:.0f} s): the worker on {} "
                               "(pid {}) is gone; retried as trial {}",
                               age, grace_s, old.host, old.pid, next));
    set_trial_attr(id, "bog:retried", true);
    // The retry, as Optuna's RetryFailedTrialCallback makes it: same parameters, waiting,
    // failed_trial = the first trial of the chain, retry_history = every trial before it.
    const int64_t rid = to_int(db_->query(
        "INSERT INTO trials (number, study_id, state) VALUES (?, ?, 'WAITING') RETURNING trial_id",
        {static_cast<int64_t>(next), study_id()})[0][0]);
    for (const auto& p :
         db_->query("SELECT param_name, param_value, distribution_json FROM trial_params WHERE "
                    "trial_id = ? ORDER BY param_id",
                    {id})) {
      db_->query(
          "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
          "VALUES (?, ?, ?, ?)",
          {rid, *p[0], to_double(p[1]), *p[2]});
    }
    std::vector<int> history = old.retry_history;
    history.push_back(number);
    set_trial_attr(rid, "failed_trial", old.failed_trial.value_or(number));
    set_trial_attr(rid, "retry_history", history);
    failed.push_back(number);
    ++next;
  }
  return failed;
}

std::vector<int> StudyDb::fail_stale(double grace_s) {
  return write([&] { return fail_stale_locked(grace_s); });
}

std::optional<TrialRecord> StudyDb::claim(
    int max_trials, const WorkerId& worker, const SearchSpace& space, bool heartbeat,
    double grace_s, const std::function<json(const std::vector<TrialRecord>&)>& propose) {
  return write([&]() -> std::optional<TrialRecord> {
    (void)fail_stale_locked(grace_s);
    std::vector<TrialRecord> all = read_trials();
    std::optional<TrialRecord> claimed;
    int64_t id = -1;
    for (auto& t : all) {
      if (t.state == TrialState::kWaiting) {
        claimed = t;
        id = trial_id(t.number);
        break;
      }
    }
    int counted = 0;
    for (const auto& r :
         db_->query("SELECT COUNT(*) FROM trials WHERE study_id = ? AND trial_id NOT IN (SELECT "
                    "trial_id FROM trial_system_attributes WHERE key = 'bog:retried')",
                    {study_id()})) {
      counted = static_cast<int>(to_int(r[0]));
    }
    if (!claimed && counted < max_trials) {
      TrialRecord t;
      t.number = all.empty() ? 0 : all.back().number + 1;
      t.params = propose(all);
      id =
          to_int(db_->query("INSERT INTO trials (number, study_id, state) VALUES (?, ?, 'WAITING') "
                            "RETURNING trial_id",
                            {static_cast<int64_t>(t.number), study_id()})[0][0]);
      for (const auto& spec : space.params()) {
        if (!t.params.contains(spec.name)) continue;
        db_->query(
            "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
            "VALUES (?, ?, ?, ?)",
            {id, spec.name, optuna_internal_value(spec, t.params[spec.name]),
             optuna_distribution(spec).dump()});
      }
      claimed = t;
    }
    if (!claimed) return claimed;
    const auto now = std::chrono::system_clock::now();
    claimed->state = TrialState::kRunning;
    claimed->pid = worker.pid;
    claimed->host = worker.host;
    claimed->started_at = std::chrono::duration<double>(now.time_since_epoch()).count();
    claimed->attempts += 1;
    claimed->trial_dir = worker.trial_root;
    db_->query("UPDATE trials SET state = 'RUNNING', datetime_start = ? WHERE trial_id = ?",
               {datetime_text(now), id});
    set_trial_attr(id, "bog:worker",
                   {{"host", worker.host}, {"pid", worker.pid}, {"trial_dir", worker.trial_root}});
    set_trial_attr(id, "bog:attempts", claimed->attempts);
    if (heartbeat) {
      db_->query("DELETE FROM trial_heartbeats WHERE trial_id = ?", {id});
      db_->query(
          "INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (?, " + db_->now_sql() + ")",
          {id});
    }
    return claimed;
  });
}

void StudyDb::heartbeat(int number) {
  const int64_t id = trial_id(number);
  db_->query("INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (?, " + db_->now_sql() +
                 ") ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat",
             {id});
}

void StudyDb::report(int number, int epoch, double value, double seconds) {
  write([&] {
    const int64_t id = trial_id(number);
    const auto [v, type] = typed_value(value);
    db_->query(
        "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, "
        "intermediate_value_type) VALUES (?, ?, ?, ?) ON CONFLICT (trial_id, step) DO UPDATE "
        "SET intermediate_value = excluded.intermediate_value, intermediate_value_type = "
        "excluded.intermediate_value_type",
        {id, static_cast<int64_t>(epoch), v, type});
    json secs = json::object();
    for (const auto& r :
         db_->query("SELECT value_json FROM trial_system_attributes WHERE trial_id = ? AND key = ?",
                    {id, std::string("bog:epoch_seconds")})) {
      secs = json::parse(r[0].value_or("{}"), nullptr, false);
      if (!secs.is_object()) secs = json::object();
    }
    secs[std::to_string(epoch)] = seconds;
    set_trial_attr(id, "bog:epoch_seconds", secs);
  });
}

void StudyDb::finish(int number, TrialState state, std::optional<double> value,
                     const std::string& message) {
  write([&] {
    const int64_t id = trial_id(number);
    db_->query(
        "UPDATE trials SET state = ?, datetime_complete = ? WHERE trial_id = ?",
        {std::string(optuna_state(state)), datetime_text(std::chrono::system_clock::now()), id});
    db_->query("DELETE FROM trial_values WHERE trial_id = ?", {id});
    if (value) {
      const auto [v, type] = typed_value(*value);
      db_->query(
          "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, 0, ?, ?)",
          {id, v, type == "NAN" ? std::string("FINITE") : type});
    }
    if (!message.empty()) set_trial_attr(id, "fail_reason", message);
  });
}

std::vector<int> StudyDb::requeue_interrupted() {
  const WorkerId me = this_worker(".");
  return write([&] {
    std::vector<int> requeued;
    for (const auto& t : read_trials()) {
      if (t.state != TrialState::kRunning || (!t.host.empty() && t.host != me.host)) continue;
      // kill(pid, 0) fails with ESRCH once the worker is gone.
      const bool alive = t.pid > 0 && (::kill(static_cast<pid_t>(t.pid), 0) == 0 || errno == EPERM);
      if (alive) continue;
      requeued.push_back(t.number);
      const int64_t id = trial_id(t.number);
      db_->query("UPDATE trials SET state = 'WAITING' WHERE trial_id = ?", {id});
      db_->query("DELETE FROM trial_intermediate_values WHERE trial_id = ?", {id});
      db_->query("DELETE FROM trial_heartbeats WHERE trial_id = ?", {id});
      db_->query("DELETE FROM trial_system_attributes WHERE trial_id = ? AND key = ?",
                 {id, std::string("bog:epoch_seconds")});
    }
    return requeued;
  });
}

}  // namespace bog::tune
