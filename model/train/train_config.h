// Training hyper-parameters read from configs/train.yaml.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace bog::model {

struct TrainConfig {
  uint64_t seed = 1;  // weights, batch order and dropout
  int epochs = 4;
  int batch_size = 64;
  float lr = 2e-3f;            // peak learning rate
  float min_lr_ratio = 0.05f;  // cosine decays to lr * min_lr_ratio
  int warmup_steps = 200;
  float weight_decay = 0.05f;  // applied only to matrices (not norms, biases, embeddings)
  float adam_beta1 = 0.9f;
  float adam_beta2 = 0.98f;
  float adam_eps = 1e-8f;
  float grad_clip = 1.0f;  // global L2 norm; <= 0 disables
  float label_smoothing = 0.1f;
  float valid_fraction = 0.05f;
  uint64_t split_seed = 1;
  int bucket_batches = 50;     // batches per length-sorted bucket
  int checkpoint_every = 500;  // steps
  int keep_last = 2;           // step checkpoints kept besides best
  int log_every = 20;
  int threads = 0;  // 0: OpenMP default (all cores)
  std::string tokenizer_type = "unigram";
  std::string tokenizer_normalization = "nmt_nfkc";
  // A sentencepiece model to use instead of training one (relative paths: from the working
  // directory); empty: train on the training split. A draft LM shares its target's this way.
  std::string tokenizer_model;
};

// Unknown keys and out-of-range values throw Error(kInvalidArgument) naming the key.
[[nodiscard]] TrainConfig parse_train_config(std::string_view text, std::string_view source);
[[nodiscard]] TrainConfig load_train_config(const std::filesystem::path& path);
[[nodiscard]] nlohmann::json to_json(const TrainConfig& config);

}  // namespace bog::model
