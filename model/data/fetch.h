// `bog data fetch ag_news`: download the original split over HTTP(S) with libcurl, verify
// every file's sha256, and publish nothing unless every file verified.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace bog::model {

// CharCnn_Keras at the commit the data README names (the copy torchtext downloads).
inline constexpr char kAgNewsDefaultUrlBase[] =
    "https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/"
    "555590db4219b1243abb1918effd6a7425a2d75f/data/ag_news_csv/";

struct FetchOptions {
  std::string url_base = kAgNewsDefaultUrlBase;  // a trailing '/' is added when missing
  // File name -> expected sha256. Defaults to the published hashes; tests substitute their own.
  std::map<std::string, std::string> expected_sha256;
  long connect_timeout_s = 30;
  long low_speed_timeout_s = 60;  // abort when under 1 KiB/s for this long
};

// The defaults above with the published train.csv / test.csv hashes filled in.
[[nodiscard]] FetchOptions default_ag_news_fetch_options();

struct FetchedFile {
  std::string name;
  std::filesystem::path path;
  std::string sha256;
  uint64_t bytes = 0;
  bool already_present = false;  // a verified copy was there; nothing was downloaded
};

// Downloads every file of options.expected_sha256 into temp files inside `dest` (created if
// needed), checks each hash, then renames them into place. On any failure (HTTP error,
// connection drop, short body, hash mismatch) every temp file is removed, nothing in `dest`
// changes, and Error(kIo) names the file, the URL and the cause.
std::vector<FetchedFile> fetch_files(const std::filesystem::path& dest,
                                     const FetchOptions& options);

}  // namespace bog::model
