#include "tune/sql_connection.h"

#include <fmt/format.h>

#include "common/error.h"

namespace bog::tune {

StorageUrl parse_storage_url(const std::string& url) {
  StorageUrl u;
  if (url.starts_with("sqlite:///")) {
    u.dialect = SqlDialect::kSqlite;
    u.path = url.substr(10);  // sqlite:////abs/path keeps its leading slash
    u.shown = url;
    if (u.path.empty()) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("--storage {}: no file after sqlite:///", url));
    }
    return u;
  }
  for (const std::string scheme : {"postgresql://", "postgres://"}) {
    if (!url.starts_with(scheme)) continue;
    const std::string rest = url.substr(scheme.size());
    const auto at = rest.rfind('@');
    const auto slash = rest.find('/', at == std::string::npos ? 0 : at);
    if (at == std::string::npos || at == 0 || slash == std::string::npos ||
        slash + 1 >= rest.size()) {
      throw Error(
          ErrorCategory::kInvalidArgument,
          fmt::format("--storage {}: expected postgresql://user[:password]@host[:port]/db", url));
    }
    u.dialect = SqlDialect::kPostgres;
    u.conninfo = url;
    const std::string user = rest.substr(0, at);
    const auto colon = user.find(':');
    u.shown = colon == std::string::npos
                  ? url
                  : scheme + user.substr(0, colon) + ":***" + rest.substr(at);
    return u;
  }
  throw Error(ErrorCategory::kInvalidArgument,
              fmt::format("--storage {}: expected sqlite:///path/study.db or "
                          "postgresql://user[:password]@host[:port]/db",
                          url));
}

std::unique_ptr<SqlConnection> open_sql_connection(const StorageUrl& url, bool create) {
  if (url.dialect == SqlDialect::kSqlite) return open_sqlite(url.path, create);
  return open_postgres(url);
}

}  // namespace bog::tune
