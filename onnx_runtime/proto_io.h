// Reading and writing runtime values as serialized ONNX protos (TensorProto, SequenceProto,
// OptionalProto), as the ONNX test data files (input_K.pb / output_K.pb) store them.
// Public header: no onnx includes.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "onnx_runtime/graph.h"
#include "onnx_runtime/tensor.h"
#include "onnx_runtime/value.h"

namespace bog::runtime {

// A value read from a file together with the name stored in it (may be empty).
struct NamedValue {
  std::string name;
  Value value;
};

// A serialized onnx.TensorProto -> Tensor. Error(kInvalidModel) on bytes that do not parse or
// a tensor whose data does not match its shape; external data is rejected.
Tensor parse_tensor_proto(std::string_view bytes);

// Parses `bytes` as the message the declared type calls for: TensorProto for a tensor,
// SequenceProto for a sequence, OptionalProto for an optional (as ONNX's test runner does).
NamedValue parse_value(std::string_view bytes, const TypeInfo& declared);

// Reads a file written by ONNX's test generator or by write_value_file. Error(kIo) when the
// file cannot be read, Error(kInvalidModel) when its content is not the declared message.
Value read_value_file(const std::filesystem::path& path, const TypeInfo& declared);
NamedValue read_named_value_file(const std::filesystem::path& path, const TypeInfo& declared);

// Serializes a value as the proto matching its kind, with `name` set.
std::string serialize_value(const Value& value, std::string_view name);

// Writes serialize_value(value, name) atomically (temp file + rename).
void write_value_file(const std::filesystem::path& path, const Value& value, std::string_view name);

}  // namespace bog::runtime
