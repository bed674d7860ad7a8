// Where the data lives: --data DIR, else BOG_DATA_DIR.
#include <fmt/format.h>

#include <cstdlib>

#include "common/error.h"
#include "model/data/ag_news.h"

namespace bog::model {

std::filesystem::path resolve_data_dir(const std::optional<std::string>& flag) {
  std::filesystem::path dir;
  if (flag && !flag->empty()) {
    dir = *flag;
  } else if (const char* env = std::getenv("BOG_DATA_DIR"); env != nullptr && *env != '\0') {
    dir = env;
  } else {
    throw Error(ErrorCategory::kInvalidArgument,
                "no data directory: pass --data DIR or set the environment variable BOG_DATA_DIR");
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw Error(
        ErrorCategory::kIo,
        fmt::format("data directory '{}' does not exist or is not a directory", dir.string()));
  }
  return dir;
}

}  // namespace bog::model
