// Bundle -> ONNX (IR 8, opset 17) in the forms torch.onnx.export produces for the same layers:
// Gather embeddings, LayerNormalization, RMSNorm as Pow/ReduceMean/Add/Sqrt/Div/Mul, rotary
// embedding from cos/sin tables (Slice/Neg/Concat/Mul/Add), attention as
// MatMul/Mul/Add(mask)/Softmax/MatMul with grouped KV heads expanded, GELU via Erf (or Tanh),
// SwiGLU via Sigmoid/Mul. Inputs input_ids and attention_mask (int64 [batch, sequence], right
// padded), output logits [batch, num_labels]. No custom ops.
#pragma once

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <nlohmann/json.hpp>
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

// The decoder LM (tiny_llama_lm) as one past/present graph in the naming of Hugging Face
// optimum and ONNX Runtime GenAI: inputs input_ids [batch, sequence], attention_mask [batch,
// total_sequence], position_ids [batch, sequence] (int64), past_key_values.{i}.key|value
// [batch, kv_heads, past_sequence, head_dim] (a zero-length past is the prefill); outputs
// logits [batch, sequence, vocab] and present.{i}.key|value [batch, kv_heads, total_sequence,
// head_dim]. RoPE angles come from position_ids; the attention bias is causal over cache
// positions (query i of the step is position past + i) plus attention_mask's padding, so
// left-padded batches work. Default domain only.
[[nodiscard]] onnx::ModelProto export_lm_model(const model::LoadedLmBundle& bundle,
                                               const std::string& bundle_sha256,
                                               const ExportOptions& options);

// ONNX Runtime GenAI's genai_config.json for that graph (model.type "llama").
[[nodiscard]] nlohmann::json genai_config(const model::ModelConfig& config,
                                          const std::string& decoder_file);

struct ExportSummary {
  std::filesystem::path file;
  std::filesystem::path data_file;  // empty without external data
  std::filesystem::path genai_config;  // decoder LMs: genai_config.json beside the file
  int64_t nodes = 0;
  int64_t parameters = 0;
  int64_t bytes = 0;
};

// Loads the bundle (hash-checked; a classifier or a decoder LM, which also gets
// genai_config.json in the output's directory), exports, runs onnx::checker (full) and shape inference, and
// writes atomically. Error(kInvalidModel) if the checker rejects the result.
ExportSummary export_bundle(const std::filesystem::path& bundle_dir,
                            const std::filesystem::path& out, const ExportOptions& options);

}  // namespace bog::onnx_export
