// The AG News files a data directory should hold, their published hashes, and what a
// directory actually holds (`bog data info`).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace bog::model {

// Published sha256 of the original split (torchtext's / CharCnn_Keras' copy).
inline constexpr std::string_view kAgNewsTrainSha256 =
    "76a0a2d2f92b286371fe4d4044640910a04a803fdd2538e0f3f29a5c6f6b672e";
inline constexpr std::string_view kAgNewsTestSha256 =
    "521465c2428ed7f02f8d6db6ffdd4b5447c1c701962353eb2c40d548c3c85699";
// The shared partial reconstruction of train.csv (51,506 rows; see its README).
inline constexpr std::string_view kAgNewsPartialTrainSha256 =
    "efaa3ddaabe5f414efed3d5b5d2f0d73d76d79bb04f13d97d5eac8241806e5a6";

enum class FileStatus { kOfficial, kPartialReconstruction, kUnknown, kMissing };
std::string_view file_status_name(FileStatus status);  // "official", "partial_reconstruction"..

// The status a file with this name ("train.csv"/"test.csv") and hash has.
FileStatus classify_ag_news_file(std::string_view name, std::string_view sha256);

struct SplitFileInfo {
  std::string name;  // "train.csv" or "test.csv"
  FileStatus status = FileStatus::kMissing;
  std::string sha256;  // empty when missing
  uint64_t bytes = 0;
  int64_t rows = 0;
  std::array<int64_t, 4> rows_per_class{};  // labels 0..3
  int64_t empty_titles = 0;
};

struct DataDirInfo {
  std::filesystem::path dir;
  std::vector<SplitFileInfo> files;  // train.csv, test.csv in that order

  [[nodiscard]] nlohmann::json to_json() const;
  // A short human-readable report, one line per file plus a caveat line when needed.
  [[nodiscard]] std::string to_text() const;
};

// Reads (and so validates) both files; a missing file is reported, not an error; a
// malformed one throws the reader's Error.
[[nodiscard]] DataDirInfo describe_ag_news_dir(const std::filesystem::path& dir);

}  // namespace bog::model
