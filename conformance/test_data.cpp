#include "conformance/test_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <system_error>

#include "common/error.h"
#include "onnx_runtime/proto_io.h"

namespace bog::conformance {
namespace {

namespace fs = std::filesystem;
using runtime::NamedValue;
using runtime::ValueInfo;

// "input_12.pb" with prefix "input_" -> 12; nullopt for anything else.
std::optional<long long> numbered(const std::string& file, std::string_view prefix,
                                  std::string_view suffix) {
  if (file.size() <= prefix.size() + suffix.size() || file.rfind(prefix, 0) != 0 ||
      file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  const std::string digits =
      file.substr(prefix.size(), file.size() - prefix.size() - suffix.size());
  if (digits.empty() || digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(digits);
}

std::vector<fs::path> numbered_files(const fs::path& dir, std::string_view prefix) {
  std::vector<std::pair<long long, fs::path>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (const auto k = numbered(entry.path().filename().string(), prefix, ".pb")) {
      found.emplace_back(*k, entry.path());
    }
  }
  if (ec)
    throw Error(ErrorCategory::kIo,
                fmt::format("cannot list '{}': {}", dir.string(), ec.message()));
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& [k, p] : found) out.push_back(std::move(p));
  return out;
}

const ValueInfo* find_info(const std::vector<ValueInfo>& infos, const std::string& name) {
  for (const ValueInfo& v : infos) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

// Reads file k: parsed first as the message the k-th declared value calls for; when the
// stored name points at another value of a different kind, read again with that one's type.
std::pair<std::string, runtime::Value> read_bound(const fs::path& file, size_t k,
                                                  const std::vector<ValueInfo>& infos,
                                                  std::string_view what) {
  const runtime::TypeInfo fallback;  // a plain tensor of unknown type
  const runtime::TypeInfo& positional = k < infos.size() ? infos[k].type : fallback;
  NamedValue nv = runtime::read_named_value_file(file, positional);
  if (nv.name.empty()) {
    if (k >= infos.size()) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("'{}' has no name and the model has only {} {}s", file.string(),
                              infos.size(), what));
    }
    return {infos[k].name, std::move(nv.value)};
  }
  const ValueInfo* named = find_info(infos, nv.name);
  if (named == nullptr) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("'{}' holds '{}', which is not a graph {} of the model", file.string(),
                            nv.name, what));
  }
  if (named->type.kind != positional.kind) {
    nv = runtime::read_named_value_file(file, named->type);
  }
  return {named->name, std::move(nv.value)};
}

}  // namespace

std::vector<fs::path> find_data_sets(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("data folder '{}' does not exist", dir.string()));
  }
  if (numbered(dir.filename().string(), "test_data_set_", "") ||
      !numbered_files(dir, "input_").empty() || !numbered_files(dir, "output_").empty()) {
    return {dir};
  }
  std::vector<std::pair<long long, fs::path>> found;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_directory(ec)) continue;
    if (const auto k = numbered(entry.path().filename().string(), "test_data_set_", "")) {
      found.emplace_back(*k, entry.path());
    }
  }
  if (found.empty()) {
    throw Error(
        ErrorCategory::kInvalidArgument,
        fmt::format("'{}' is neither a test_data_set_N folder nor holds one", dir.string()));
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& [k, p] : found) out.push_back(std::move(p));
  return out;
}

TestDataSet load_data_set(const fs::path& dir, const std::vector<ValueInfo>& inputs,
                          const std::vector<ValueInfo>& outputs) {
  TestDataSet set;
  set.dir = dir;
  const std::vector<fs::path> input_files = numbered_files(dir, "input_");
  for (size_t k = 0; k < input_files.size(); ++k) {
    auto [name, value] = read_bound(input_files[k], k, inputs, "input");
    if (set.feeds.count(name)) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("input '{}' is given twice in '{}'", name, dir.string()));
    }
    set.feeds.emplace(name, std::move(value));
  }
  for (const ValueInfo& in : inputs) {
    if (!set.feeds.count(in.name)) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("graph input '{}' has no input_K.pb in '{}'", in.name, dir.string()));
    }
  }
  const std::vector<fs::path> output_files = numbered_files(dir, "output_");
  std::map<std::string, runtime::Value> by_name;
  for (size_t k = 0; k < output_files.size(); ++k) {
    auto [name, value] = read_bound(output_files[k], k, outputs, "output");
    if (!by_name.emplace(name, std::move(value)).second) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("output '{}' is given twice in '{}'", name, dir.string()));
    }
  }
  for (const ValueInfo& out : outputs) {
    auto it = by_name.find(out.name);
    if (it != by_name.end()) set.expected.emplace_back(out.name, std::move(it->second));
  }
  return set;
}

}  // namespace bog::conformance
