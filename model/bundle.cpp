#include "model/bundle.h"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <functional>

#include "common/atomic_file.h"
#include "common/error.h"
#include "model/data/ag_news.h"
#include "model/data/sha256.h"
#include "model/io/safetensors.h"
#include "model/train/checkpoint.h"

namespace bog::model {
namespace fs = std::filesystem;
namespace {

constexpr const char* kWeightsFile = "model.safetensors";
constexpr const char* kTokenizerFile = "tokenizer.model";

[[noreturn]] void bad_bundle(const fs::path& dir, std::string_view what) {
  throw Error(ErrorCategory::kInvalidModel, fmt::format("bundle {}: {}", dir.string(), what));
}

}  // namespace

std::string host_cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("model name")) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

nlohmann::json write_bundle(const fs::path& checkpoint, const fs::path& out_dir) {
  const StFile ckpt = read_safetensors(checkpoint);
  const CheckpointState state = read_checkpoint_state(ckpt, checkpoint.string());
  const ModelConfig config =
      parse_model_config(state.model_config.dump(), checkpoint.string() + " model_config");
  // Building the model checks that the checkpoint's weights fit its config.
  std::unique_ptr<TransformerClassifier> classifier;
  std::unique_ptr<TinyLlamaLm> lm;
  if (config.is_lm()) {
    lm = std::make_unique<TinyLlamaLm>(config, 0);
  } else {
    classifier = std::make_unique<TransformerClassifier>(config, 0);
  }
  const ParamList& params = lm ? lm->params() : classifier->params();
  const int64_t num_params = lm ? lm->num_params() : classifier->num_params();
  load_weights(ckpt, "param/", params, checkpoint.string());
  const fs::path tokenizer_path =
      checkpoint.parent_path().parent_path() / state.info.value("tokenizer", kTokenizerFile);
  const std::string tokenizer_bytes = read_file(tokenizer_path);
  const Tokenizer tokenizer = Tokenizer::from_bytes(tokenizer_bytes, tokenizer_path.string());
  if (tokenizer.vocab_size() > config.vocab_size) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{}: {} pieces, more than the model's vocab_size {}",
                            tokenizer_path.string(), tokenizer.vocab_size(), config.vocab_size));
  }
  StFile weights = weights_file(params);
  weights.metadata["format"] = "bog-weights-1";
  weights.metadata["architecture"] = config.architecture;
  const std::string weight_bytes = serialize_safetensors(weights);

  fs::create_directories(out_dir);
  write_file_atomic(out_dir / kWeightsFile, weight_bytes);
  write_file_atomic(out_dir / kTokenizerFile, tokenizer_bytes);

  nlohmann::json labels = nlohmann::json::array();
  for (int i = 0; !config.is_lm() && i < config.n_classes; ++i) {
    labels.push_back(i < kAgNewsNumClasses ? std::string(kAgNewsLabels[i])
                                           : fmt::format("class_{}", i));
  }
  nlohmann::json provenance = state.info;
  provenance["steps"] = state.step;
  provenance["host_cpu"] = host_cpu_model();
  provenance["checkpoint"] = checkpoint.string();
  provenance["train_config"] = state.train_config;
  provenance["bundled_at_unix"] = std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
  nlohmann::json manifest = {
      {"format", kBundleFormat},
      {"format_version", kBundleFormatVersion},
      {"architecture", config.architecture},
      {"model_config", to_json(config)},
      {"num_params", num_params},
      {"weights",
       {{"file", kWeightsFile},
        {"dtype", "F32"},
        {"layout", "Linear weights are [in, out]: y = x W + b"}}},
      {"tokenizer",
       {{"file", kTokenizerFile},
        {"kind", "sentencepiece"},
        {"vocab_size", tokenizer.vocab_size()},
        {"pad_id", Tokenizer::kPadId},
        {"unk_id", Tokenizer::kUnkId},
        {"bos_cls_id", Tokenizer::kBosId},
        {"eos_id", Tokenizer::kEosId},
        {"max_len", config.max_len},
        {"prepend_cls", config.prepend_cls},
        {"add_bos_eos", config.is_lm()}}},
      {"labels", labels},
      {"files",
       {{kWeightsFile, {{"sha256", sha256_hex(weight_bytes)}, {"bytes", weight_bytes.size()}}},
        {kTokenizerFile,
         {{"sha256", sha256_hex(tokenizer_bytes)}, {"bytes", tokenizer_bytes.size()}}}}},
      {"provenance", provenance}};
  write_file_atomic(out_dir / "manifest.json", manifest.dump(2) + "\n");
  return manifest;
}

namespace {

// What every bundle load shares: the manifest, every file checked against its hash and size,
// the model config, the safetensors weights and the tokenizer.
struct CheckedBundle {
  nlohmann::json manifest;
  ModelConfig config;
  StFile weights;
  std::unique_ptr<Tokenizer> tokenizer;
};

nlohmann::json read_manifest(const fs::path& dir) {
  const fs::path manifest_path = dir / "manifest.json";
  if (!fs::is_regular_file(manifest_path)) {
    throw Error(ErrorCategory::kIo, fmt::format("bundle {}: no manifest.json", dir.string()));
  }
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(read_file(manifest_path));
  } catch (const nlohmann::json::exception& e) {
    bad_bundle(dir, fmt::format("manifest.json is not valid JSON ({})", e.what()));
  }
  if (!m.is_object() || m.value("format", "") != kBundleFormat)
    bad_bundle(dir, "manifest.json is not a bog bundle manifest");
  return m;
}

// Runs `build` (which makes the model from the checked bundle) inside the error mapping, so
// that any failure is one "bundle DIR: ..." line.
void load_checked(const fs::path& dir, const std::function<void(CheckedBundle&)>& build) {
  CheckedBundle b;
  b.manifest = read_manifest(dir);
  const nlohmann::json& m = b.manifest;
  try {
    if (m.value("format_version", -1) != kBundleFormatVersion) {
      bad_bundle(dir, fmt::format("format_version {} is not the supported {}",
                                  m.value("format_version", -1), kBundleFormatVersion));
    }
    const std::string arch = m.value("architecture", "");
    if (arch != "tiny_llama" && arch != "modern_encoder" && arch != "tiny_llama_lm") {
      bad_bundle(dir, fmt::format("unknown architecture '{}'", arch));
    }
    // Every listed file must be a plain name inside the bundle and match its hash and size.
    const auto& files = m.at("files");
    for (const char* required : {kWeightsFile, kTokenizerFile}) {
      if (!files.contains(required)) bad_bundle(dir, fmt::format("manifest lists no {}", required));
    }
    std::map<std::string, std::string> contents;
    for (const auto& [name, entry] : files.items()) {
      if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
        bad_bundle(dir, fmt::format("file name '{}' is not a plain name", name));
      }
      const fs::path path = dir / name;
      if (!fs::is_regular_file(path)) bad_bundle(dir, fmt::format("{} is missing", name));
      std::string bytes = read_file(path);
      const std::string actual = sha256_hex(bytes);
      const std::string expected = entry.at("sha256").get<std::string>();
      if (actual != expected) {
        bad_bundle(dir, fmt::format("{} fails its sha256 check (expected {}, got {}): the file was "
                                    "modified or corrupted",
                                    name, expected, actual));
      }
      contents[name] = std::move(bytes);
    }
    b.config = parse_model_config(m.at("model_config").dump(),
                                  dir.string() + "/manifest.json model_config");
    if (b.config.architecture != arch) {
      bad_bundle(dir, fmt::format("architecture '{}' disagrees with model_config '{}'", arch,
                                  b.config.architecture));
    }
    b.weights = parse_safetensors(contents[kWeightsFile], (dir / kWeightsFile).string());
    auto arch_it = b.weights.metadata.find("architecture");
    if (arch_it != b.weights.metadata.end() && arch_it->second != arch) {
      bad_bundle(
          dir, fmt::format("weights are for '{}', the manifest says '{}'", arch_it->second, arch));
    }
    b.tokenizer = std::make_unique<Tokenizer>(
        Tokenizer::from_bytes(contents[kTokenizerFile], (dir / kTokenizerFile).string()));
    if (b.tokenizer->vocab_size() > b.config.vocab_size) {
      bad_bundle(dir, fmt::format("tokenizer has {} pieces, more than the model's vocab_size {}",
                                  b.tokenizer->vocab_size(), b.config.vocab_size));
    }
    build(b);
  } catch (const nlohmann::json::exception& e) {
    bad_bundle(dir, fmt::format("manifest.json is missing a field ({})", e.what()));
  } catch (const Error& e) {
    if (e.category() == ErrorCategory::kInvalidModel &&
        std::string_view(e.what()).starts_with("bundle "))
      throw;
    bad_bundle(dir, e.what());
  }
}

void load_params(const fs::path& dir, const StFile& weights, const ParamList& params) {
  if (weights.tensors.size() != params.size()) {
    bad_bundle(dir, fmt::format("{} holds {} tensors, the model has {}", kWeightsFile,
                                weights.tensors.size(), params.size()));
  }
  load_weights(weights, "", params, (dir / kWeightsFile).string());
}

[[noreturn]] void wrong_kind(const fs::path& dir, std::string_view arch, std::string_view need) {
  throw Error(ErrorCategory::kInvalidArgument,
              fmt::format("bundle {}: architecture {} is not {}", dir.string(), arch, need));
}

}  // namespace

std::string bundle_architecture(const fs::path& dir) {
  return read_manifest(dir).value("architecture", "");
}

LoadedBundle load_bundle(const fs::path& dir) {
  const std::string arch = bundle_architecture(dir);
  if (arch == "tiny_llama_lm") {
    wrong_kind(dir, arch,
               "a classifier (this command needs one; an LM bundle goes to the LM "
               "commands)");
  }
  LoadedBundle bundle;
  load_checked(dir, [&](CheckedBundle& b) {
    for (const auto& l : b.manifest.at("labels")) bundle.labels.push_back(l.get<std::string>());
    if (static_cast<int>(bundle.labels.size()) != b.config.n_classes) {
      bad_bundle(dir,
                 fmt::format("{} labels for {} classes", bundle.labels.size(), b.config.n_classes));
    }
    bundle.model = std::make_unique<TransformerClassifier>(b.config, 0);
    load_params(dir, b.weights, bundle.model->params());
    bundle.manifest = std::move(b.manifest);
    bundle.config = b.config;
    bundle.tokenizer = std::move(b.tokenizer);
  });
  return bundle;
}

LoadedLmBundle load_lm_bundle(const fs::path& dir) {
  const std::string arch = bundle_architecture(dir);
  if (arch != "tiny_llama_lm") wrong_kind(dir, arch, "tiny_llama_lm (a decoder LM)");
  LoadedLmBundle bundle;
  load_checked(dir, [&](CheckedBundle& b) {
    bundle.model = std::make_unique<TinyLlamaLm>(b.config, 0);
    load_params(dir, b.weights, bundle.model->params());
    bundle.manifest = std::move(b.manifest);
    bundle.config = b.config;
    bundle.tokenizer = std::move(b.tokenizer);
  });
  return bundle;
}

}  // namespace bog::model
