// Training checkpoints: one safetensors file with the weights ("param/<name>"), the AdamW
// moments ("adam_m/<name>", "adam_v/<name>") and, in its metadata, everything else a resumed
// run needs (step, dropout RNG state, configs, counters) plus provenance for bundles.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "model/io/safetensors.h"
#include "model/layers/tensor.h"
#include "model/train/adamw.h"

namespace bog::model {

inline constexpr std::string_view kCheckpointFormat = "bog-checkpoint-1";

struct CheckpointState {
  int64_t step = 0;
  std::string rng_state;  // the dropout generator, as operator<< writes it
  nlohmann::json model_config;
  nlohmann::json train_config;
  // Provenance and counters: data sha256/rows, command, train_seconds, train_tokens,
  // best_valid_accuracy, valid metrics, tokenizer file name.
  nlohmann::json info = nlohmann::json::object();
};

// Writes atomically. `optimizer` may be null (weights only).
void save_checkpoint(const std::filesystem::path& path, const ParamList& params,
                     const AdamW* optimizer, const CheckpointState& state);

// Reads the metadata only (no model is built).
[[nodiscard]] CheckpointState read_checkpoint_state(const StFile& file, std::string_view source);

// Copies weights (and moments when `optimizer` is given) into an already built model's params. A
// missing tensor or a shape mismatch throws Error(kInvalidModel) naming the tensor.
void load_weights(const StFile& file, std::string_view prefix, const ParamList& params,
                  std::string_view source);
void load_optimizer(const StFile& file, const ParamList& params, AdamW& optimizer,
                    std::string_view source);

// Weights only, as a bundle stores them: tensor names without a prefix.
[[nodiscard]] StFile weights_file(const ParamList& params);

}  // namespace bog::model
