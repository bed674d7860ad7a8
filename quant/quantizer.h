// `bog quantize`: rewrites an fp32 ONNX classifier into a quantized ONNX file that both this
// interpreter and ONNX Runtime run. Methods (layouts in quant/README.md):
//   dynamic-int8  ORT's dynamic-quantizer form: DynamicQuantizeLinear + MatMulInteger + Cast +
//                 scale Mul per MatMul, int8 weights per column (or per tensor); the embedding
//                 table int8 per tensor with DequantizeLinear after the Gather.
//   weight-int8   com.microsoft MatMulNBits bits=8 (block 32) + GatherBlockQuantized bits=8.
//   weight-int4   com.microsoft MatMulNBits bits=4 (block 32) + GatherBlockQuantized bits=4.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace bog::quant {

enum class Method { kDynamicInt8, kWeightInt8, kWeightInt4 };

// Error(kInvalidArgument) naming the known methods for anything else.
Method parse_method(std::string_view name);
std::string method_name(Method method);

struct CompressionConfig {
  int64_t block_size = 32;
  bool per_channel = true;
  bool quantize_embeddings = true;
  std::vector<std::string> skip;  // node or weight name prefixes left in float32
};
// Error(kInvalidArgument) for a missing file or a bad key/value, with the file and key.
CompressionConfig load_compression_config(const std::filesystem::path& path);

struct QuantizeOptions {
  Method method = Method::kDynamicInt8;
  CompressionConfig config;
};

// One MatMul or Gather the quantizer looked at.
struct Decision {
  std::string node;
  std::string op;
  std::string weight;  // initializer name ("" when the operand is an activation)
  bool quantized = false;
  std::string form;    // e.g. "MatMulNBits bits=4 block=32"
  std::string reason;  // why it was or was not quantized
  int64_t parameters = 0;
  int64_t bytes_before = 0;
  int64_t bytes_after = 0;
};

struct QuantizeResult {
  std::string method;
  std::string input_file;
  std::string output_file;
  int64_t input_bytes = 0;
  int64_t output_bytes = 0;
  std::vector<Decision> decisions;
  [[nodiscard]] nlohmann::json to_json() const;
};

// Reads `in`, rewrites, checks with the ONNX checker and writes `out` atomically. Nothing is
// written on any error: not a model (kInvalidModel), nothing to quantize (kInvalidArgument),
// external data (kUnsupported), unwritable output (kIo).
QuantizeResult quantize_file(const std::filesystem::path& in, const std::filesystem::path& out,
                             const QuantizeOptions& options);

// The same on serialized bytes (tests); returns the new model's bytes.
std::string quantize_bytes(const std::string& model_bytes, const QuantizeOptions& options,
                           QuantizeResult& result);

}  // namespace bog::quant
