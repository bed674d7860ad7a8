// One database connection for the study storage: SQLite (a file) or PostgreSQL (libpq). The
// study code writes its SQL once, with `?` placeholders, and reads every cell as text (NULL as
// nullopt); numbers come back in their shortest round-trip form.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace bog::tune {

using SqlParam = std::variant<std::nullptr_t, int64_t, double, std::string>;
using SqlCell = std::optional<std::string>;
using SqlRow = std::vector<SqlCell>;

enum class SqlDialect { kSqlite, kPostgres };

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;
  [[nodiscard]] virtual SqlDialect dialect() const = 0;
  // Runs one statement; Error(kIo) naming the storage when it fails.
  virtual std::vector<SqlRow> query(const std::string& sql,
                                    const std::vector<SqlParam>& params = {}) = 0;
  // Several statements without parameters (schema creation).
  virtual void script(const std::string& sql) = 0;
  // A write transaction that excludes every other writer of the study until commit/rollback:
  // SQLite's BEGIN IMMEDIATE; PostgreSQL's BEGIN and then the caller's row lock.
  virtual void begin_write() = 0;
  // A read-only transaction whose statements all see one snapshot (a reader of several tables
  // must not see a trial in one that the next does not have yet): SQLite's deferred BEGIN (WAL:
  // the snapshot of the first read); PostgreSQL's REPEATABLE READ READ ONLY.
  virtual void begin_read() = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;
  // The server's clock as Optuna's heartbeats store it (SQL text).
  [[nodiscard]] virtual std::string now_sql() const = 0;
  // The storage URL with any password masked (for messages).
  [[nodiscard]] virtual std::string name() const = 0;
};

struct StorageUrl {
  SqlDialect dialect = SqlDialect::kSqlite;
  std::string path;      // sqlite: the file
  std::string conninfo;  // postgresql: the URL as libpq takes it
  std::string shown;     // for messages: the URL, password masked
};

// sqlite:///relative/or//abs/path.db or postgresql://user[:password]@host[:port]/db;
// anything else throws Error(kInvalidArgument) naming the accepted forms.
[[nodiscard]] StorageUrl parse_storage_url(const std::string& url);

// create: a missing SQLite file is made (PostgreSQL databases must exist).
[[nodiscard]] std::unique_ptr<SqlConnection> open_sql_connection(const StorageUrl& url,
                                                                 bool create);
[[nodiscard]] std::unique_ptr<SqlConnection> open_sqlite(const std::string& path, bool create);
[[nodiscard]] std::unique_ptr<SqlConnection> open_postgres(const StorageUrl& url);

}  // namespace bog::tune
