// Bundles: a directory a user can trust. manifest.json (format version, architecture, model
// config, tokenizer, label map, sha256 and size of every file, training provenance),
// model.safetensors (weights only) and tokenizer.model. Loading checks every hash and the
// architecture before it builds anything.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/lm/tiny_llama_lm.h"
#include "model/tokenizer/tokenizer.h"
#include "model/transformer_classifier.h"

namespace bog::model {

inline constexpr std::string_view kBundleFormat = "bog-bundle";
inline constexpr int kBundleFormatVersion = 1;

// Writes a bundle from a training checkpoint (its run directory must hold tokenizer.model).
// Files are written atomically; the manifest goes last. Returns the manifest.
nlohmann::json write_bundle(const std::filesystem::path& checkpoint,
                            const std::filesystem::path& out_dir);

struct LoadedBundle {
  nlohmann::json manifest;
  ModelConfig config;
  std::vector<std::string> labels;
  std::unique_ptr<TransformerClassifier> model;
  std::unique_ptr<Tokenizer> tokenizer;
};

// A classifier bundle. Any problem (missing file, hash mismatch, unknown format or
// architecture, weights that do not fit the config) throws one Error(kInvalidModel) (kIo when
// the directory is unreadable) whose message names the bundle and the cause; a decoder LM's
// bundle throws Error(kInvalidArgument) saying the command needs a classifier.
[[nodiscard]] LoadedBundle load_bundle(const std::filesystem::path& dir);

// A decoder LM bundle (architecture tiny_llama_lm): no labels, the LM instead of a classifier.
struct LoadedLmBundle {
  nlohmann::json manifest;
  ModelConfig config;
  std::unique_ptr<TinyLlamaLm> model;
  std::unique_ptr<Tokenizer> tokenizer;
};

// As load_bundle, with the same checks; a classifier bundle throws Error(kInvalidArgument).
[[nodiscard]] LoadedLmBundle load_lm_bundle(const std::filesystem::path& dir);

// The manifest's architecture ("tiny_llama", "modern_encoder", "tiny_llama_lm"), read without
// checking hashes or building anything; Error(kIo) / Error(kInvalidModel) as load_bundle.
[[nodiscard]] std::string bundle_architecture(const std::filesystem::path& dir);

// "model name" from /proc/cpuinfo, or "unknown".
[[nodiscard]] std::string host_cpu_model();

}  // namespace bog::model
