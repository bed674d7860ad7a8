#include "model/io/safetensors.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bog::model {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; this code copies bytes as they are");

namespace {

[[noreturn]] void bad(std::string_view source, std::string_view what) {
  throw Error(ErrorCategory::kInvalidModel, fmt::format("{}: {}", source, what));
}

int64_t element_count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

}  // namespace

std::string serialize_safetensors(const StFile& file) {
  nlohmann::json header = nlohmann::json::object();
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : file.tensors) {
    if (name == "__metadata__") {
      throw Error(ErrorCategory::kInvalidArgument,
                  "safetensors: tensor name __metadata__ is reserved");
    }
    if (element_count(t.shape) != static_cast<int64_t>(t.data.size())) {
      throw Error(
          ErrorCategory::kInvalidArgument,
          fmt::format("safetensors: tensor {} has {} values for its shape", name, t.data.size()));
    }
    const uint64_t bytes = t.data.size() * sizeof(float);
    header[name] = {
        {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string json = header.dump();
  // Pad with spaces so the data starts 8-byte aligned, as the format recommends.
  json.append((8 - json.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  const uint64_t header_len = json.size();
  std::memcpy(out.data(), &header_len, 8);
  out += json;
  out.reserve(out.size() + offset);
  for (const auto& [name, t] : file.tensors) {
    out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
  }
  return out;
}

StFile parse_safetensors(std::string_view bytes, std::string_view source) {
  if (bytes.size() < 8)
    bad(source, fmt::format("{} bytes is too short for a safetensors file", bytes.size()));
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  if (header_len > bytes.size() - 8) {
    bad(source, fmt::format("header length {} runs past the end of the {}-byte file", header_len,
                            bytes.size()));
  }
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.substr(8, header_len));
  } catch (const nlohmann::json::exception& e) {
    bad(source, fmt::format("header is not valid JSON ({})", e.what()));
  }
  if (!header.is_object()) bad(source, "header is not a JSON object");
  const std::string_view data = bytes.substr(8 + header_len);
  StFile file;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) bad(source, "__metadata__ is not an object");
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string()) bad(source, fmt::format("metadata {} is not a string", k));
        file.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") ||
        !entry.contains("data_offsets")) {
      bad(source, fmt::format("tensor {} lacks dtype, shape or data_offsets", name));
    }
    if (!entry["dtype"].is_string() || entry["dtype"] != "F32") {
      bad(source, fmt::format("tensor {} has dtype {}, expected F32", name, entry["dtype"].dump()));
    }
    StTensor t;
    const auto& shape = entry["shape"];
    if (!shape.is_array()) bad(source, fmt::format("tensor {} shape is not an array", name));
    for (const auto& d : shape) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) {
        bad(source, fmt::format("tensor {} has a bad dimension {}", name, d.dump()));
      }
      t.shape.push_back(d.get<int64_t>());
    }
    const auto& offs = entry["data_offsets"];
    if (!offs.is_array() || offs.size() != 2 || !offs[0].is_number_unsigned() ||
        !offs[1].is_number_unsigned()) {
      bad(source, fmt::format("tensor {} data_offsets is not [begin, end]", name));
    }
    const uint64_t begin = offs[0].get<uint64_t>();
    const uint64_t end = offs[1].get<uint64_t>();
    if (begin > end || end > data.size()) {
      bad(source, fmt::format("tensor {} data [{}, {}) lies outside the {} data bytes", name, begin,
                              end, data.size()));
    }
    const int64_t count = element_count(t.shape);
    if (static_cast<uint64_t>(count) * sizeof(float) != end - begin) {
      bad(source, fmt::format("tensor {} holds {} bytes but its shape needs {}", name, end - begin,
                              count * 4));
    }
    ranges.emplace_back(begin, end);
    t.data.resize(static_cast<size_t>(count));
    if (count > 0) std::memcpy(t.data.data(), data.data() + begin, end - begin);
    file.tensors.emplace(name, std::move(t));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) bad(source, "tensor data ranges overlap");
  }
  return file;
}

void write_safetensors(const std::filesystem::path& path, const StFile& file) {
  write_file_atomic(path, serialize_safetensors(file));
}

StFile read_safetensors(const std::filesystem::path& path) {
  return parse_safetensors(read_file(path), path.string());
}

}  // namespace bog::model
