// onnx::TensorProto <-> Tensor for every dtype in dtype.h (internal: includes the onnx protobuf
// types). Typed fields, little-endian raw_data, packed 4-/2-bit types and external data files
// confined to the model's directory.
#pragma once

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <string_view>

#include "onnx_runtime/tensor.h"

namespace bog::runtime {

// Converts a TensorProto into an owned Tensor. External data is resolved against
// `model_dir`; an empty `model_dir` rejects external data. Every problem (unknown dtype,
// negative/overflowing dims, byte size not matching the shape, external file outside the
// directory or too short) is Error(kInvalidModel), a missing external file Error(kIo).
Tensor tensor_from_proto(const onnx::TensorProto& proto,
                         const std::filesystem::path& model_dir = {});

// Serializes a Tensor: raw_data (little-endian, sub-byte types packed) for numeric types,
// string_data for strings.
onnx::TensorProto tensor_to_proto(const Tensor& tensor, std::string_view name = {});

// Resolves an external-data location against `model_dir` following onnx docs/Security.md:
// no absolute paths, no "..", no symlinks, the canonical path stays inside the directory
// and names a regular file. Returns the canonical path.
std::filesystem::path resolve_external_path(const std::filesystem::path& model_dir,
                                            std::string_view location);

}  // namespace bog::runtime
