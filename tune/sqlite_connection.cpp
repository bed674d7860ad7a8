// The SQLite connection of the study storage (WAL, a long busy timeout: parallel workers on one
// file wait for each other's short write transactions).
#include <fmt/format.h>
#include <sqlite3.h>

#include "common/error.h"
#include "tune/sql_connection.h"

namespace bog::tune {
namespace {

class SqliteConnection final : public SqlConnection {
 public:
  SqliteConnection(const std::string& path, bool create) : path_(path) {
    const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      db_ = nullptr;
      throw Error(ErrorCategory::kIo, fmt::format("cannot open study database {}: {}", path, why));
    }
    sqlite3_busy_timeout(db_, 120000);
    // WAL: readers never block the writer; a killed worker's open transaction rolls back.
    script("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON");
  }
  ~SqliteConnection() override { sqlite3_close(db_); }

  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  std::string name() const override { return path_; }
  std::string now_sql() const override { return "CURRENT_TIMESTAMP"; }

  std::vector<SqlRow> query(const std::string& sql, const std::vector<SqlParam>& params) override {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw Error(ErrorCategory::kIo, fmt::format("{}: {} ({})", path_, sqlite3_errmsg(db_), sql));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const int k = static_cast<int>(i + 1);
      const SqlParam& p = params[i];
      if (std::holds_alternative<int64_t>(p)) {
        sqlite3_bind_int64(stmt, k, std::get<int64_t>(p));
      } else if (std::holds_alternative<double>(p)) {
        sqlite3_bind_double(stmt, k, std::get<double>(p));
      } else if (std::holds_alternative<std::string>(p)) {
        const auto& s = std::get<std::string>(p);
        sqlite3_bind_text(stmt, k, s.c_str(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      } else {
        sqlite3_bind_null(stmt, k);
      }
    }
    std::vector<SqlRow> rows;
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        const std::string why = sqlite3_errmsg(db_);
        sqlite3_finalize(stmt);
        throw Error(ErrorCategory::kIo, fmt::format("{}: {}", path_, why));
      }
      SqlRow row;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_NULL:
            row.emplace_back(std::nullopt);
            break;
          case SQLITE_INTEGER:
            row.emplace_back(std::to_string(sqlite3_column_int64(stmt, c)));
            break;
          case SQLITE_FLOAT:
            row.emplace_back(fmt::format("{}", sqlite3_column_double(stmt, c)));
            break;
          default: {
            const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            row.emplace_back(std::string(t ? t : ""));
          }
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    return rows;
  }

  void script(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string why = err ? err : "unknown error";
      sqlite3_free(err);
      throw Error(ErrorCategory::kIo, fmt::format("{}: {}", path_, why));
    }
  }
  void begin_write() override { script("BEGIN IMMEDIATE"); }
  void begin_read() override { script("BEGIN"); }
  void commit() override { script("COMMIT"); }
  void rollback() noexcept override { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace

std::unique_ptr<SqlConnection> open_sqlite(const std::string& path, bool create) {
  return std::make_unique<SqliteConnection>(path, create);
}

}  // namespace bog::tune
