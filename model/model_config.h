// The model description read from configs/model*.yaml, validated before anything is built.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "model/layers/gelu_mlp.h"
#include "model/layers/pooling.h"
#include "model/layers/rotary.h"

namespace bog::model {

enum class NormKind { kRms, kLayer };
enum class PositionKind { kRope, kLearned };
enum class MlpKind { kSwiglu, kGelu, kGeluTanh };

// `architecture` picks the defaults ("tiny_llama": pre-RMSNorm, RoPE, GQA, SwiGLU, causal, mean
// pooling; "modern_encoder": pre-LayerNorm, learned positions, GELU, bidirectional, CLS
// pooling; "tiny_llama_lm": the tiny_llama blocks as a causal decoder LM with a vocabulary head,
// no pooling or classes, dropout 0); any field may then be set explicitly.
struct ModelConfig {
  std::string architecture = "tiny_llama";
  int vocab_size = 16000;
  int d_model = 96;
  int n_layers = 1;
  int n_heads = 4;
  int n_kv_heads = 2;
  int d_ff = 256;
  int max_len = 128;  // tokens per sequence, CLS included
  int n_classes = 4;
  NormKind norm = NormKind::kRms;
  float norm_eps = 1e-5f;
  PositionKind positions = PositionKind::kRope;
  float rope_theta = 10000.0f;
  RopeScaling rope_scaling = RopeScaling::kNone;
  float rope_scaling_factor = 1.0f;
  MlpKind mlp = MlpKind::kSwiglu;
  bool causal = true;
  PoolingKind pooling = PoolingKind::kMean;
  bool bias = false;
  float dropout = 0.1f;
  bool prepend_cls = false;    // the tokenizer's bos/cls id goes first in every sequence
  bool tie_embeddings = true;  // LM only: the vocabulary head is the token embedding's transpose

  [[nodiscard]] bool is_lm() const { return architecture == "tiny_llama_lm"; }

  [[nodiscard]] int head_dim() const { return d_model / n_heads; }
};

// Parses YAML (or JSON, which is YAML) text. Unknown keys, wrong types and inconsistent values
// throw Error(kInvalidArgument) naming the key and `source`.
[[nodiscard]] ModelConfig parse_model_config(std::string_view text, std::string_view source);
[[nodiscard]] ModelConfig load_model_config(const std::filesystem::path& path);

// Every field, explicitly; parse_model_config(to_json(c).dump()) == c.
[[nodiscard]] nlohmann::json to_json(const ModelConfig& config);

// Throws Error(kInvalidArgument, "<source>: <key>: ...") on the first inconsistency.
void validate(const ModelConfig& config, std::string_view source);

}  // namespace bog::model
