#include "common/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "common/error.h"

namespace bog {
namespace fs = std::filesystem;

namespace {

fs::path temp_path_beside(const fs::path& path) {
  std::random_device rd;
  return path.parent_path() /
         fmt::format(".{}.tmp-{:08x}", path.filename().string(), static_cast<unsigned>(rd()));
}

void fsync_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

void write_file_atomic(const fs::path& path, const std::function<void(std::ostream&)>& writer) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(ErrorCategory::kIo, fmt::format("cannot write '{}': directory '{}' does not exist",
                                                path.string(), dir.string()));
  }
  const fs::path tmp = temp_path_beside(path.has_parent_path() ? path : fs::path(".") / path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw Error(ErrorCategory::kIo, fmt::format("cannot write '{}': {}", tmp.string(),
                                                  std::strerror(errno)));
    }
    try {
      writer(out);
    } catch (...) {
      out.close();
      fs::remove(tmp, ec);
      throw;
    }
    out.flush();
    if (!out) {
      out.close();
      fs::remove(tmp, ec);
      throw Error(ErrorCategory::kIo, fmt::format("cannot write '{}': write failed", path.string()));
    }
  }
  fsync_file(tmp);
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error(ErrorCategory::kIo,
                fmt::format("cannot write '{}': rename failed: {}", path.string(), ec.message()));
  }
}

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  write_file_atomic(path, [bytes](std::ostream& out) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  });
}

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw Error(ErrorCategory::kIo, fmt::format("cannot read '{}': {}", path.string(),
                                                fs::exists(path, ec) ? "not a regular file"
                                                                     : "no such file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(ErrorCategory::kIo,
                fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

}  // namespace bog
