// Bundle -> ONNX (IR 8, opset 17) in the forms torch.onnx.export produces for the same layers:
// Gather embeddings, LayerNormalization, RMSNorm as Pow/ReduceMean/Add/Sqrt/Div/Mul, rotary
// embedding from cos/sin tables (Slice/Neg/Concat/Mul/Add), attention as
// MatMul/Mul/Add(mask)/Softmax/MatMul with grouped KV heads expanded, GELU via Erf (or Tanh),
// SwiGLU via Sigmoid/Mul. Inputs input_ids and attention_mask (int64 [batch, sequence], right
// padded), output logits [batch, num_labels]. No custom ops.
#pragma once

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <string>

#include "model/bundle.h"

namespace bog::onnx_export {

inline constexpr const char* kExporterVersion = "bog-export 1";

struct ExportOptions {
  int opset = 17;
  bool external_data = false;  // weights in "<file>.data" per the ONNX external data convention
};

// Builds the graph for a loaded bundle (weights read from its model). `bundle_sha256` and
// `tokenizer_sha256` go into metadata_props.
[[nodiscard]] onnx::ModelProto export_model(const model::LoadedBundle& bundle,
                                            const std::string& bundle_sha256,
                                            const ExportOptions& options);

struct ExportSummary {
  std::filesystem::path file;
  std::filesystem::path data_file;  // empty without external data
  int64_t nodes = 0;
  int64_t parameters = 0;
  int64_t bytes = 0;
};

// Loads the bundle (hash-checked), exports, runs onnx::checker (full) and shape inference, and
// writes atomically. Error(kInvalidModel) if the checker rejects the result.
ExportSummary export_bundle(const std::filesystem::path& bundle_dir,
                            const std::filesystem::path& out, const ExportOptions& options);

}  // namespace bog::onnx_export
