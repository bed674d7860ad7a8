// The PostgreSQL connection of the study storage (libpq). Parameters travel as text and the
// server infers their types from the statement; `?` placeholders become $1, $2, ...
#include <fmt/format.h>
#include <libpq-fe.h>

#include "common/error.h"
#include "tune/sql_connection.h"

namespace bog::tune {
namespace {

std::string numbered_placeholders(const std::string& sql) {
  std::string out;
  int n = 0;
  for (char c : sql) {
    if (c == '?') {
      out += fmt::format("${}", ++n);
    } else {
      out += c;
    }
  }
  return out;
}

std::string one_line(const char* message) {
  std::string s = message ? message : "unknown error";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (auto& c : s) {
    if (c == '\n' || c == '\t') c = ' ';
  }
  return s;
}

class PostgresConnection final : public SqlConnection {
 public:
  explicit PostgresConnection(const StorageUrl& url) : shown_(url.shown) {
    conn_ = PQconnectdb(url.conninfo.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
      const std::string why = one_line(PQerrorMessage(conn_));
      PQfinish(conn_);
      conn_ = nullptr;
      throw Error(ErrorCategory::kIo, fmt::format("cannot connect to {}: {}", shown_, why));
    }
    script("SET client_min_messages TO WARNING");
  }
  ~PostgresConnection() override { PQfinish(conn_); }

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }
  std::string name() const override { return shown_; }
  std::string now_sql() const override { return "LOCALTIMESTAMP"; }

  std::vector<SqlRow> query(const std::string& sql, const std::vector<SqlParam>& params) override {
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      const SqlParam& p = params[i];
      if (std::holds_alternative<std::nullptr_t>(p)) continue;
      if (std::holds_alternative<int64_t>(p)) text[i] = std::to_string(std::get<int64_t>(p));
      if (std::holds_alternative<double>(p)) text[i] = fmt::format("{}", std::get<double>(p));
      if (std::holds_alternative<std::string>(p)) text[i] = std::get<std::string>(p);
      values[i] = text[i].c_str();
    }
    PGresult* res =
        PQexecParams(conn_, numbered_placeholders(sql).c_str(), static_cast<int>(params.size()),
                     nullptr, values.data(), nullptr, nullptr, 0);
    const auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const std::string why = one_line(PQresultErrorMessage(res));
      PQclear(res);
      throw Error(ErrorCategory::kIo, fmt::format("{}: {}", shown_, why));
    }
    std::vector<SqlRow> rows;
    for (int r = 0; r < PQntuples(res); ++r) {
      SqlRow row;
      for (int c = 0; c < PQnfields(res); ++c) {
        if (PQgetisnull(res, r, c)) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(std::string(PQgetvalue(res, r, c)));
        }
      }
      rows.push_back(std::move(row));
    }
    PQclear(res);
    return rows;
  }

  void script(const std::string& sql) override {
    PGresult* res = PQexec(conn_, sql.c_str());
    const auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      const std::string why = one_line(PQresultErrorMessage(res));
      PQclear(res);
      throw Error(ErrorCategory::kIo, fmt::format("{}: {}", shown_, why));
    }
    PQclear(res);
  }
  void begin_write() override { script("BEGIN"); }
  void begin_read() override { script("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); }
  void commit() override { script("COMMIT"); }
  void rollback() noexcept override { PQclear(PQexec(conn_, "ROLLBACK")); }

 private:
  PGconn* conn_ = nullptr;
  std::string shown_;
};

}  // namespace

std::unique_ptr<SqlConnection> open_postgres(const StorageUrl& url) {
  return std::make_unique<PostgresConnection>(url);
}

}  // namespace bog::tune
