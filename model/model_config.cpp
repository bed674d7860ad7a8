#include "model/model_config.h"

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
T scalar_as(const YAML::Node& node, std::string_view source, std::string_view key,
            std::string_view type_name) {
  if (!node.IsScalar()) fail(source, key, fmt::format("expected {}", type_name));
  try {
    return node.as<T>();
  } catch (const YAML::Exception&) {
    fail(source, key, fmt::format("expected {}, got '{}'", type_name, node.Scalar()));
  }
}

template <typename E>
E enum_as(const YAML::Node& node, std::string_view source, std::string_view key,
          const std::map<std::string, E>& names) {
  const auto value = scalar_as<std::string>(node, source, key, "a string");
  const auto it = names.find(value);
  if (it == names.end()) {
    std::string allowed;
    for (const auto& [name, _] : names) allowed += (allowed.empty() ? "" : ", ") + name;
    fail(source, key, fmt::format("'{}' is not one of {}", value, allowed));
  }
  return it->second;
}

const std::map<std::string, NormKind> kNorms = {{"rmsnorm", NormKind::kRms},
                                                {"layernorm", NormKind::kLayer}};
const std::map<std::string, PositionKind> kPositions = {{"rope", PositionKind::kRope},
                                                        {"learned", PositionKind::kLearned}};
const std::map<std::string, RopeScaling> kScalings = {
    {"none", RopeScaling::kNone}, {"linear", RopeScaling::kLinear}, {"ntk", RopeScaling::kNtk}};
const std::map<std::string, MlpKind> kMlps = {
    {"swiglu", MlpKind::kSwiglu}, {"gelu", MlpKind::kGelu}, {"gelu_tanh", MlpKind::kGeluTanh}};
const std::map<std::string, PoolingKind> kPoolings = {
    {"mean", PoolingKind::kMean}, {"last", PoolingKind::kLast}, {"cls", PoolingKind::kCls}};

template <typename E>
std::string name_of(const std::map<std::string, E>& names, E value) {
  for (const auto& [name, v] : names) {
    if (v == value) return name;
  }
  return "?";
}

ModelConfig defaults_for(const std::string& architecture, std::string_view source) {
  ModelConfig c;
  c.architecture = architecture;
  if (architecture == "tiny_llama") return c;
  if (architecture == "tiny_llama_lm") {
    c.dropout = 0.0f;
    c.max_len = 256;
    return c;
  }
  if (architecture == "modern_encoder") {
    c.n_kv_heads = c.n_heads;
    c.norm = NormKind::kLayer;
    c.positions = PositionKind::kLearned;
    c.mlp = MlpKind::kGelu;
    c.causal = false;
    c.pooling = PoolingKind::kCls;
    c.bias = true;
    c.prepend_cls = true;
    return c;
  }
  fail(source, "architecture",
       fmt::format("'{}' is not one of tiny_llama, tiny_llama_lm, modern_encoder", architecture));
}

}  // namespace

ModelConfig parse_model_config(std::string_view text, std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("{}: not valid YAML: {}", source, e.msg));
  }
  if (!root.IsMap()) {
    throw Error(ErrorCategory::kInvalidArgument, fmt::format("{}: expected a mapping", source));
  }
  if (!root["architecture"]) fail(source, "architecture", "missing");
  ModelConfig c = defaults_for(
      scalar_as<std::string>(root["architecture"], source, "architecture", "a string"), source);
  const bool n_kv_given = static_cast<bool>(root["n_kv_heads"]);

  using Setter = std::function<void(const YAML::Node&, std::string_view)>;
  auto int_field = [&](int& field) -> Setter {
    return [&field, source](const YAML::Node& n, std::string_view key) {
      field = scalar_as<int>(n, source, key, "an integer");
    };
  };
  auto float_field = [&](float& field) -> Setter {
    return [&field, source](const YAML::Node& n, std::string_view key) {
      field = scalar_as<float>(n, source, key, "a number");
    };
  };
  auto bool_field = [&](bool& field) -> Setter {
    return [&field, source](const YAML::Node& n, std::string_view key) {
      field = scalar_as<bool>(n, source, key, "true or false");
    };
  };
  const std::map<std::string, Setter> setters = {
      {"architecture", [](const YAML::Node&, std::string_view) {}},
      {"vocab_size", int_field(c.vocab_size)},
      {"d_model", int_field(c.d_model)},
      {"n_layers", int_field(c.n_layers)},
      {"n_heads", int_field(c.n_heads)},
      {"n_kv_heads", int_field(c.n_kv_heads)},
      {"d_ff", int_field(c.d_ff)},
      {"max_len", int_field(c.max_len)},
      {"n_classes", int_field(c.n_classes)},
      {"norm",
       [&](const YAML::Node& n, std::string_view k) { c.norm = enum_as(n, source, k, kNorms); }},
      {"norm_eps", float_field(c.norm_eps)},
      {"positions", [&](const YAML::Node& n,
                        std::string_view k) { c.positions = enum_as(n, source, k, kPositions); }},
      {"rope_theta", float_field(c.rope_theta)},
      {"rope_scaling",
       [&](const YAML::Node& n, std::string_view k) {
         c.rope_scaling = enum_as(n, source, k, kScalings);
       }},
      {"rope_scaling_factor", float_field(c.rope_scaling_factor)},
      {"mlp",
       [&](const YAML::Node& n, std::string_view k) { c.mlp = enum_as(n, source, k, kMlps); }},
      {"causal", bool_field(c.causal)},
      {"pooling", [&](const YAML::Node& n,
                      std::string_view k) { c.pooling = enum_as(n, source, k, kPoolings); }},
      {"bias", bool_field(c.bias)},
      {"dropout", float_field(c.dropout)},
      {"prepend_cls", bool_field(c.prepend_cls)},
      {"tie_embeddings", bool_field(c.tie_embeddings)},
  };
  for (const auto& entry : root) {
    const auto key = entry.first.as<std::string>();
    const auto it = setters.find(key);
    if (it == setters.end()) fail(source, key, "unknown key");
    it->second(entry.second, key);
  }
  if (!n_kv_given && c.architecture == "modern_encoder") c.n_kv_heads = c.n_heads;
  validate(c, source);
  return c;
}

ModelConfig load_model_config(const std::filesystem::path& path) {
  return parse_model_config(read_file(path), path.string());
}

void validate(const ModelConfig& c, std::string_view source) {
  auto positive = [&](int v, std::string_view key) {
    if (v <= 0) fail(source, key, fmt::format("must be positive, got {}", v));
  };
  positive(c.vocab_size, "vocab_size");
  positive(c.d_model, "d_model");
  positive(c.n_layers, "n_layers");
  positive(c.n_heads, "n_heads");
  positive(c.n_kv_heads, "n_kv_heads");
  positive(c.d_ff, "d_ff");
  positive(c.max_len, "max_len");
  if (c.vocab_size < 4)
    fail(source, "vocab_size", "must hold the 4 special ids (pad, unk, bos, eos)");
  if (c.n_classes < 2)
    fail(source, "n_classes", fmt::format("must be at least 2, got {}", c.n_classes));
  if (c.d_model % c.n_heads != 0) {
    fail(source, "n_heads", fmt::format("{} does not divide d_model {}", c.n_heads, c.d_model));
  }
  if (c.n_kv_heads > c.n_heads || c.n_heads % c.n_kv_heads != 0) {
    fail(source, "n_kv_heads",
         fmt::format("{} does not divide n_heads {}", c.n_kv_heads, c.n_heads));
  }
  if (c.positions == PositionKind::kRope && c.head_dim() % 2 != 0) {
    fail(source, "positions", fmt::format("rope needs an even head size, got {}", c.head_dim()));
  }
  if (!(c.norm_eps > 0)) fail(source, "norm_eps", "must be positive");
  if (!(c.rope_theta > 1)) fail(source, "rope_theta", "must be greater than 1");
  if (!(c.rope_scaling_factor >= 1)) fail(source, "rope_scaling_factor", "must be at least 1");
  if (!(c.dropout >= 0 && c.dropout < 1)) fail(source, "dropout", "must be in [0, 1)");
  if (c.is_lm()) {
    if (!c.causal) fail(source, "causal", "a decoder LM must be causal");
    if (c.positions != PositionKind::kRope) fail(source, "positions", "tiny_llama_lm uses rope");
    if (c.prepend_cls) fail(source, "prepend_cls", "a decoder LM starts with BOS, not CLS");
    if (c.max_len < 2) fail(source, "max_len", "must hold BOS and one token");
    return;
  }
  if (!c.tie_embeddings) fail(source, "tie_embeddings", "only a decoder LM has a vocabulary head");
  if (c.pooling == PoolingKind::kCls && !c.prepend_cls) {
    fail(source, "pooling", "cls pooling needs prepend_cls: true");
  }
  if (c.pooling == PoolingKind::kCls && c.causal) {
    fail(source, "pooling", "cls pooling with causal attention sees only the CLS token");
  }
}

nlohmann::json to_json(const ModelConfig& c) {
  nlohmann::json j = {{"architecture", c.architecture},
                      {"vocab_size", c.vocab_size},
                      {"d_model", c.d_model},
                      {"n_layers", c.n_layers},
                      {"n_heads", c.n_heads},
                      {"n_kv_heads", c.n_kv_heads},
                      {"d_ff", c.d_ff},
                      {"max_len", c.max_len},
                      {"n_classes", c.n_classes},
                      {"norm", name_of(kNorms, c.norm)},
                      {"norm_eps", c.norm_eps},
                      {"positions", name_of(kPositions, c.positions)},
                      {"rope_theta", c.rope_theta},
                      {"rope_scaling", name_of(kScalings, c.rope_scaling)},
                      {"rope_scaling_factor", c.rope_scaling_factor},
                      {"mlp", name_of(kMlps, c.mlp)},
                      {"causal", c.causal},
                      {"pooling", name_of(kPoolings, c.pooling)},
                      {"bias", c.bias},
                      {"dropout", c.dropout},
                      {"prepend_cls", c.prepend_cls}};
  // Classifier configs keep the key set their bundles were written with.
  if (c.is_lm()) j["tie_embeddings"] = c.tie_embeddings;
  return j;
}

}  // namespace bog::model
