#include "model/train/train_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bog::model {
namespace {

[[noreturn]] void fail(std::string_view source, std::string_view key, std::string_view what) {
  throw Error(ErrorCategory::kInvalidArgument, fmt::format("{}: {}: {}", source, key, what));
}

template <typename T>
T get(const YAML::Node& node, std::string_view source, std::string_view key) {
  if (!node.IsScalar()) fail(source, key, "expected a scalar");
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    fail(source, key, fmt::format("'{}' has the wrong type", node.Scalar()));
  }
}

}  // namespace

TrainConfig parse_train_config(std::string_view text, std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("{}: not valid YAML: {}", source, e.msg));
  }
  TrainConfig c;
  if (root.IsNull()) return c;
  if (!root.IsMap())
    throw Error(ErrorCategory::kInvalidArgument, fmt::format("{}: expected a mapping", source));
  using Setter = std::function<void(const YAML::Node&, std::string_view)>;
  auto f = [&](auto& field) -> Setter {
    return [&field, source](const YAML::Node& n, std::string_view key) {
      field = get<std::remove_reference_t<decltype(field)>>(n, source, key);
    };
  };
  const std::map<std::string, Setter> setters = {
      {"seed", f(c.seed)},
      {"epochs", f(c.epochs)},
      {"batch_size", f(c.batch_size)},
      {"lr", f(c.lr)},
      {"min_lr_ratio", f(c.min_lr_ratio)},
      {"warmup_steps", f(c.warmup_steps)},
      {"weight_decay", f(c.weight_decay)},
      {"adam_beta1", f(c.adam_beta1)},
      {"adam_beta2", f(c.adam_beta2)},
      {"adam_eps", f(c.adam_eps)},
      {"grad_clip", f(c.grad_clip)},
      {"label_smoothing", f(c.label_smoothing)},
      {"valid_fraction", f(c.valid_fraction)},
      {"split_seed", f(c.split_seed)},
      {"bucket_batches", f(c.bucket_batches)},
      {"checkpoint_every", f(c.checkpoint_every)},
      {"keep_last", f(c.keep_last)},
      {"log_every", f(c.log_every)},
      {"threads", f(c.threads)},
      {"tokenizer_type", f(c.tokenizer_type)},
      {"tokenizer_normalization", f(c.tokenizer_normalization)},
      {"tokenizer_model", f(c.tokenizer_model)},
  };
  for (const auto& entry : root) {
    const auto key = entry.first.as<std::string>();
    const auto it = setters.find(key);
    if (it == setters.end()) fail(source, key, "unknown key");
    it->second(entry.second, key);
  }
  auto check = [&](bool ok, std::string_view key, std::string_view what) {
    if (!ok) fail(source, key, what);
  };
  check(c.epochs > 0, "epochs", "must be positive");
  check(c.batch_size > 0, "batch_size", "must be positive");
  check(c.lr > 0, "lr", "must be positive");
  check(c.min_lr_ratio >= 0 && c.min_lr_ratio <= 1, "min_lr_ratio", "must be in [0, 1]");
  check(c.warmup_steps >= 0, "warmup_steps", "must not be negative");
  check(c.weight_decay >= 0, "weight_decay", "must not be negative");
  check(c.adam_beta1 >= 0 && c.adam_beta1 < 1, "adam_beta1", "must be in [0, 1)");
  check(c.adam_beta2 >= 0 && c.adam_beta2 < 1, "adam_beta2", "must be in [0, 1)");
  check(c.adam_eps > 0, "adam_eps", "must be positive");
  check(c.label_smoothing >= 0 && c.label_smoothing < 1, "label_smoothing", "must be in [0, 1)");
  check(c.valid_fraction > 0 && c.valid_fraction < 1, "valid_fraction", "must be in (0, 1)");
  check(c.bucket_batches > 0, "bucket_batches", "must be positive");
  check(c.checkpoint_every > 0, "checkpoint_every", "must be positive");
  check(c.keep_last > 0, "keep_last", "must be positive");
  check(c.log_every > 0, "log_every", "must be positive");
  check(c.threads >= 0, "threads", "must not be negative");
  check(c.tokenizer_type == "unigram" || c.tokenizer_type == "bpe", "tokenizer_type",
        "must be unigram or bpe");
  return c;
}

TrainConfig load_train_config(const std::filesystem::path& path) {
  return parse_train_config(read_file(path), path.string());
}

nlohmann::json to_json(const TrainConfig& c) {
  return {{"seed", c.seed},
          {"epochs", c.epochs},
          {"batch_size", c.batch_size},
          {"lr", c.lr},
          {"min_lr_ratio", c.min_lr_ratio},
          {"warmup_steps", c.warmup_steps},
          {"weight_decay", c.weight_decay},
          {"adam_beta1", c.adam_beta1},
          {"adam_beta2", c.adam_beta2},
          {"adam_eps", c.adam_eps},
          {"grad_clip", c.grad_clip},
          {"label_smoothing", c.label_smoothing},
          {"valid_fraction", c.valid_fraction},
          {"split_seed", c.split_seed},
          {"bucket_batches", c.bucket_batches},
          {"checkpoint_every", c.checkpoint_every},
          {"keep_last", c.keep_last},
          {"log_every", c.log_every},
          {"threads", c.threads},
          {"tokenizer_type", c.tokenizer_type},
          {"tokenizer_normalization", c.tokenizer_normalization},
          {"tokenizer_model", c.tokenizer_model}};
}

}  // namespace bog::model
