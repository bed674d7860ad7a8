// File -> onnx::ModelProto -> validated IR. Every problem is one bog::Error (kInvalidModel or
// kIo), never a crash: truncated files, unknown dtypes, dangling names, cycles, bad sizes,
// external data outside the model's directory.
#pragma once

#include <filesystem>
#include <string_view>

#include "onnx_runtime/graph.h"

namespace bog::runtime {

struct LoadOptions {
  // Run libonnx's checker where it can judge the model (IR <= 8, opset <= 17); it never
  // rejects a newer model the runtime can execute.
  bool run_checker = true;
};

Model load_model(const std::filesystem::path& path, const LoadOptions& options = {});
// From bytes already in memory; external data resolves against `directory`.
Model load_model_from_bytes(std::string_view bytes, const std::filesystem::path& directory,
                            const LoadOptions& options = {});

}  // namespace bog::runtime
