// Download with libcurl into same-directory temp files, hash while writing, rename only when
// every file verified: a mismatch or a partial download leaves nothing behind.
#include "model/data/fetch.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "common/error.h"
#include "model/data/ag_news_files.h"
#include "model/data/sha256.h"

namespace bog::model {
namespace {

// Removes the temp files it still owns when it goes out of scope (any error path).
class TempFiles {
 public:
  ~TempFiles() {
    for (const auto& p : paths_) {
      std::error_code ec;
      std::filesystem::remove(p, ec);
    }
  }
  void add(const std::filesystem::path& p) { paths_.push_back(p); }
  void release() { paths_.clear(); }

 private:
  std::vector<std::filesystem::path> paths_;
};

struct Sink {
  std::FILE* file = nullptr;
  Sha256 hasher;
  uint64_t bytes = 0;
  bool write_failed = false;
};

size_t on_data(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (std::fwrite(data, 1, n, sink->file) != n) {
    sink->write_failed = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  sink->hasher.update(std::string_view(data, n));
  sink->bytes += n;
  return n;
}

struct CurlHandle {
  CURL* curl;
  CurlHandle() : curl(curl_easy_init()) {}
  ~CurlHandle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

// Downloads `url` into the open temp file at `temp_path`; returns sha256 and size.
FetchedFile download(const std::string& url, const std::filesystem::path& temp_path,
                     const FetchOptions& options) {
  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  Sink sink;
  sink.file = std::fopen(temp_path.c_str(), "wb");
  if (sink.file == nullptr) {
    throw Error(ErrorCategory::kIo, fmt::format("cannot create '{}'", temp_path.string()));
  }
  CurlHandle h;
  if (h.curl == nullptr) {
    std::fclose(sink.file);
    throw Error(ErrorCategory::kInternal, "curl_easy_init failed");
  }
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h.curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h.curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h.curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h.curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(h.curl, CURLOPT_FAILONERROR, 1L);  // HTTP >= 400 is an error, not a body
  curl_easy_setopt(h.curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h.curl, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_s);
  curl_easy_setopt(h.curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(h.curl, CURLOPT_LOW_SPEED_TIME, options.low_speed_timeout_s);
  curl_easy_setopt(h.curl, CURLOPT_USERAGENT, "bog/0.1");
  curl_easy_setopt(h.curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h.curl, CURLOPT_WRITEDATA, &sink);
  const CURLcode rc = curl_easy_perform(h.curl);
  // Flush and sync before the rename can make the file visible under its final name.
  const bool flushed = std::fflush(sink.file) == 0 && ::fsync(::fileno(sink.file)) == 0;
  const bool closed = std::fclose(sink.file) == 0;
  if (rc != CURLE_OK) {
    const std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
    throw Error(ErrorCategory::kIo,
                fmt::format("download of '{}' failed after {} bytes: {}", url, sink.bytes, detail));
  }
  if (sink.write_failed || !flushed || !closed) {
    throw Error(ErrorCategory::kIo, fmt::format("cannot write '{}'", temp_path.string()));
  }
  FetchedFile f;
  f.sha256 = sink.hasher.finish_hex();
  f.bytes = sink.bytes;
  return f;
}

std::filesystem::path make_temp_path(const std::filesystem::path& dest, const std::string& name) {
  std::string pattern = (dest / ("." + name + ".part.XXXXXX")).string();
  const int fd = ::mkstemp(pattern.data());
  if (fd < 0) {
    throw Error(ErrorCategory::kIo,
                fmt::format("cannot create a temp file in '{}'", dest.string()));
  }
  ::close(fd);
  return pattern;
}

}  // namespace

FetchOptions default_ag_news_fetch_options() {
  FetchOptions o;
  o.expected_sha256 = {{"train.csv", std::string(kAgNewsTrainSha256)},
                       {"test.csv", std::string(kAgNewsTestSha256)}};
  return o;
}

std::vector<FetchedFile> fetch_files(const std::filesystem::path& dest,
                                     const FetchOptions& options) {
  if (options.expected_sha256.empty()) {
    throw Error(ErrorCategory::kInvalidArgument, "no files to fetch");
  }
  std::error_code ec;
  // A destination this call creates is removed again on failure (while still empty).
  struct CreatedDir {
    std::filesystem::path path;
    bool keep = false;
    ~CreatedDir() {
      std::error_code ignored;
      if (!path.empty() && !keep && std::filesystem::is_empty(path, ignored)) {
        std::filesystem::remove(path, ignored);
      }
    }
  } created;
  if (!std::filesystem::exists(dest, ec)) created.path = dest;
  std::filesystem::create_directories(dest, ec);
  if (ec || !std::filesystem::is_directory(dest)) {
    throw Error(ErrorCategory::kIo, fmt::format("cannot create directory '{}'{}", dest.string(),
                                                ec ? ": " + ec.message() : ""));
  }
  std::string base = options.url_base;
  if (base.empty() || base.back() != '/') base += '/';

  TempFiles temps;
  std::vector<FetchedFile> results;
  std::vector<std::filesystem::path> pending;  // temp path per result, empty when present
  for (const auto& [name, want] : options.expected_sha256) {
    const auto final_path = dest / name;
    if (std::filesystem::is_regular_file(final_path, ec) && sha256_file_hex(final_path) == want) {
      FetchedFile f{name, final_path, want, std::filesystem::file_size(final_path, ec), true};
      results.push_back(f);
      pending.emplace_back();
      continue;
    }
    const auto temp = make_temp_path(dest, name);
    temps.add(temp);
    const std::string url = base + name;
    FetchedFile f = download(url, temp, options);
    if (f.sha256 != want) {
      throw Error(ErrorCategory::kIo,
                  fmt::format("'{}' has sha256 {} ({} bytes), expected {}: not the published "
                              "file; nothing was written to '{}'",
                              url, f.sha256, f.bytes, want, dest.string()));
    }
    f.name = name;
    f.path = final_path;
    results.push_back(f);
    pending.push_back(temp);
  }
  for (size_t i = 0; i < results.size(); ++i) {
    if (pending[i].empty()) continue;
    std::filesystem::rename(pending[i], results[i].path, ec);
    if (ec) {
      throw Error(ErrorCategory::kIo, fmt::format("cannot rename into '{}': {}",
                                                  results[i].path.string(), ec.message()));
    }
  }
  temps.release();
  created.keep = true;
  return results;
}

}  // namespace bog::model
