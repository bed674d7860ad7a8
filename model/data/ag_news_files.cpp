// `bog data info`: rows per split and class, and whether each file is the published one.
#include "model/data/ag_news_files.h"

#include <fmt/format.h>

#include "model/data/ag_news.h"
#include "model/data/sha256.h"

namespace bog::model {

std::string_view file_status_name(FileStatus status) {
  switch (status) {
    case FileStatus::kOfficial:
      return "official";
    case FileStatus::kPartialReconstruction:
      return "partial_reconstruction";
    case FileStatus::kUnknown:
      return "unknown";
    case FileStatus::kMissing:
      return "missing";
  }
  return "unknown";
}

FileStatus classify_ag_news_file(std::string_view name, std::string_view sha256) {
  if (name == "train.csv") {
    if (sha256 == kAgNewsTrainSha256) return FileStatus::kOfficial;
    if (sha256 == kAgNewsPartialTrainSha256) return FileStatus::kPartialReconstruction;
  } else if (name == "test.csv" && sha256 == kAgNewsTestSha256) {
    return FileStatus::kOfficial;
  }
  return FileStatus::kUnknown;
}

DataDirInfo describe_ag_news_dir(const std::filesystem::path& dir) {
  DataDirInfo info;
  info.dir = dir;
  for (const char* name : {"train.csv", "test.csv"}) {
    SplitFileInfo f;
    f.name = name;
    const auto path = dir / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) {
      f.sha256 = sha256_file_hex(path);
      f.bytes = std::filesystem::file_size(path, ec);
      f.status = classify_ag_news_file(name, f.sha256);
      for (const Example& ex : read_ag_news_csv(path)) {
        ++f.rows;
        ++f.rows_per_class[static_cast<size_t>(ex.label)];
        f.empty_titles += ex.title.empty() ? 1 : 0;
      }
    }
    info.files.push_back(std::move(f));
  }
  return info;
}

nlohmann::json DataDirInfo::to_json() const {
  nlohmann::json files_json = nlohmann::json::array();
  for (const auto& f : files) {
    nlohmann::json j = {{"name", f.name}, {"status", file_status_name(f.status)}};
    if (f.status != FileStatus::kMissing) {
      j["sha256"] = f.sha256;
      j["bytes"] = f.bytes;
      j["rows"] = f.rows;
      j["rows_per_class"] = f.rows_per_class;
      j["empty_titles"] = f.empty_titles;
    }
    files_json.push_back(j);
  }
  return {{"dir", dir.string()},
          {"labels", {"World", "Sports", "Business", "Sci/Tech"}},
          {"files", files_json}};
}

std::string DataDirInfo::to_text() const {
  std::string out = fmt::format("data dir  {}\n", dir.string());
  bool partial = false;
  for (const auto& f : files) {
    if (f.status == FileStatus::kMissing) {
      out += fmt::format("{:<10} missing\n", f.name);
      continue;
    }
    out += fmt::format(
        "{:<10} {:>7} rows  World {} / Sports {} / Business {} / Sci/Tech {}  "
        "empty titles {}\n           sha256 {}  {}\n",
        f.name, f.rows, f.rows_per_class[0], f.rows_per_class[1], f.rows_per_class[2],
        f.rows_per_class[3], f.empty_titles, f.sha256, file_status_name(f.status));
    partial = partial || f.status == FileStatus::kPartialReconstruction;
  }
  if (partial) {
    out +=
        "note: train.csv is the shared PARTIAL RECONSTRUCTION (51,506 of 120,000 rows), not the "
        "official split; test accuracy from models trained on it is not comparable with results "
        "trained on the full split (see the data README)\n";
  }
  for (const auto& f : files) {
    if (f.status == FileStatus::kUnknown) {
      out += fmt::format("note: {} does not match any published AG News hash\n", f.name);
    }
  }
  return out;
}

}  // namespace bog::model
