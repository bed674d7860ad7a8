// safetensors files: 8-byte little-endian header length, a JSON header
// ({"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__":
// {string: string}}), then the raw little-endian tensor bytes. Only F32 tensors are written or
// accepted here, which is all the models use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace bog::model {

struct StTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;  // product(shape) values, row-major
};

struct StFile {
  std::map<std::string, std::string> metadata;
  std::map<std::string, StTensor> tensors;
};

// Throws Error(kInvalidArgument) when a tensor's data does not match its shape.
[[nodiscard]] std::string serialize_safetensors(const StFile& file);

// Every structural problem (short file, header length past the end, bad JSON, unknown or
// non-F32 dtype, offsets outside the data or not matching the shape, overlapping tensors)
// throws Error(kInvalidModel, "<source>: ...").
[[nodiscard]] StFile parse_safetensors(std::string_view bytes, std::string_view source);

// Atomic write (temp file + rename) / whole-file read; Error(kIo) when the file system fails.
void write_safetensors(const std::filesystem::path& path, const StFile& file);
[[nodiscard]] StFile read_safetensors(const std::filesystem::path& path);

}  // namespace bog::model
