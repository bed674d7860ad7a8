#include "tune/tune_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "common/atomic_file.h"
#include "common/error.h"
#include "tune/benchmark_functions.h"
#include "tune/sampler.h"

namespace bog::tune {
namespace {

[[noreturn]] void fail(std::string_view source, std::string_view what) {
  throw Error(ErrorCategory::kInvalidArgument, fmt::format("{}: {}", source, what));
}

nlohmann::json node_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json j = nlohmann::json::object();
      for (const auto& kv : node) j[kv.first.as<std::string>()] = node_to_json(kv.second);
      return j;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& v : node) j.push_back(node_to_json(v));
      return j;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted: always a string
      if (s == "true" || s == "True") return true;
      if (s == "false" || s == "False") return false;
      if (s == "null" || s == "~") return nullptr;
      int64_t i;
      if (YAML::convert<int64_t>::decode(node, i)) return i;
      double d;
      if (YAML::convert<double>::decode(node, d)) return d;
      return s;
    }
    default:
      return nullptr;
  }
}

YAML::Node json_to_node(const nlohmann::json& j) {
  if (j.is_boolean()) return YAML::Node(j.get<bool>());
  if (j.is_number_integer()) return YAML::Node(j.get<int64_t>());
  if (j.is_number()) return YAML::Node(j.get<double>());
  return YAML::Node(j.get<std::string>());
}

int get_int(const nlohmann::json& j, std::string_view source, const std::string& key, int low) {
  if (!j.is_number_integer() || j.get<int64_t>() < low) {
    fail(source, fmt::format("{}: expected a whole number >= {}, got {}", key, low, j.dump()));
  }
  return j.get<int>();
}

}  // namespace

nlohmann::json yaml_to_json(std::string_view text, std::string_view source) {
  try {
    return node_to_json(YAML::Load(std::string(text)));
  } catch (const YAML::Exception& e) {
    fail(source, fmt::format("not valid YAML: {}", e.msg));
  }
}

TuneConfig parse_tune_config(std::string_view text, std::string_view source) {
  const nlohmann::json root = yaml_to_json(text, source);
  if (!root.is_object()) fail(source, "expected a mapping");
  static const std::set<std::string> kKeys = {"base",   "tokenizer", "sampler",     "n_startup",
                                              "seed",   "trials",    "timeout_min", "pruner",
                                              "params", "objective"};
  for (const auto& [key, _] : root.items()) {
    if (!kKeys.count(key)) fail(source, fmt::format("unknown key '{}'", key));
  }
  TuneConfig c;
  c.source = root;
  if (root.contains("objective")) {
    const auto& o = root["objective"];
    if (!o.is_object() || !o.contains("function") || !o["function"].is_string()) {
      fail(source, "objective: expected {function: branin | hartmann6, seconds: S}");
    }
    for (const auto& [key, _] : o.items()) {
      if (key != "function" && key != "seconds") {
        fail(source, fmt::format("objective: unknown key '{}'", key));
      }
    }
    c.objective_function = o["function"].get<std::string>();
    if (c.objective_function != "branin" && c.objective_function != "hartmann6") {
      fail(source, fmt::format("objective.function: '{}' is not one of branin, hartmann6",
                               c.objective_function));
    }
    if (o.contains("seconds")) {
      if (!o["seconds"].is_number() || o["seconds"].get<double>() < 0) {
        fail(source, "objective.seconds: expected a number >= 0");
      }
      c.objective_seconds = o["seconds"].get<double>();
    }
  }
  const auto& base = root.value("base", nlohmann::json::object());
  if (c.objective_function.empty() &&
      (!base.is_object() || !base.contains("model") || !base.contains("train") ||
       !base["model"].is_string() || !base["train"].is_string())) {
    fail(source, "base: expected {model: PATH, train: PATH}");
  }
  if (c.objective_function.empty()) {
    c.base_model = base["model"].get<std::string>();
    c.base_train = base["train"].get<std::string>();
  }
  if (root.contains("tokenizer")) {
    if (!root["tokenizer"].is_string()) fail(source, "tokenizer: expected a path");
    c.tokenizer = root["tokenizer"].get<std::string>();
  }
  if (root.contains("sampler")) {
    if (!root["sampler"].is_string()) fail(source, "sampler: expected a name");
    c.sampler = root["sampler"].get<std::string>();
    const auto& known = sampler_names();
    if (std::find(known.begin(), known.end(), c.sampler) == known.end()) {
      fail(source, fmt::format("sampler: '{}' is not one of gp, random, tpe", c.sampler));
    }
  }
  if (root.contains("n_startup")) c.n_startup = get_int(root["n_startup"], source, "n_startup", 0);
  if (root.contains("seed"))
    c.seed = static_cast<uint64_t>(get_int(root["seed"], source, "seed", 0));
  if (root.contains("trials")) c.trials = get_int(root["trials"], source, "trials", 1);
  if (root.contains("timeout_min")) {
    if (!root["timeout_min"].is_number() || root["timeout_min"].get<double>() < 0) {
      fail(source, "timeout_min: expected a number >= 0");
    }
    c.timeout_min = root["timeout_min"].get<double>();
  }
  if (root.contains("pruner")) {
    const auto& p = root["pruner"];
    if (p.is_string() && p.get<std::string>() == "none") {
      c.pruner.type = "none";
    } else {
      if (!p.is_object()) fail(source, "pruner: expected a mapping or 'none'");
      static const std::set<std::string> kPrunerKeys = {
          "type", "n_startup_trials", "n_warmup_epochs", "min_epochs", "reduction_factor"};
      for (const auto& [key, _] : p.items()) {
        if (!kPrunerKeys.count(key)) fail(source, fmt::format("pruner: unknown key '{}'", key));
      }
      c.pruner.type = p.value("type", std::string("median"));
      if (c.pruner.type != "median" && c.pruner.type != "successive_halving" &&
          c.pruner.type != "none") {
        fail(source, fmt::format("pruner.type: '{}' is not one of median, successive_halving, "
                                 "none",
                                 c.pruner.type));
      }
      if (p.contains("n_startup_trials"))
        c.pruner.n_startup_trials =
            get_int(p["n_startup_trials"], source, "pruner.n_startup_trials", 0);
      if (p.contains("n_warmup_epochs"))
        c.pruner.n_warmup_epochs =
            get_int(p["n_warmup_epochs"], source, "pruner.n_warmup_epochs", 0);
      if (p.contains("min_epochs"))
        c.pruner.min_epochs = get_int(p["min_epochs"], source, "pruner.min_epochs", 1);
      if (p.contains("reduction_factor"))
        c.pruner.reduction_factor =
            get_int(p["reduction_factor"], source, "pruner.reduction_factor", 2);
    }
  }
  if (!root.contains("params")) fail(source, "params: missing (the search space)");
  c.space = parse_search_space(root["params"], source);
  if (!c.objective_function.empty()) {
    const SearchSpace expected = bench_objective(c.objective_function).space;
    for (const auto& p : expected.params()) {
      bool found = false;
      for (const auto& q : c.space.params()) found |= q.name == p.name;
      if (!found) {
        fail(source, fmt::format("params: objective {} needs a parameter named {}",
                                 c.objective_function, p.name));
      }
    }
    return c;
  }
  for (const auto& p : c.space.params()) {
    if (!p.name.starts_with("model.") && !p.name.starts_with("train.")) {
      fail(source, fmt::format("params.{}: names must start with model. or train.", p.name));
    }
  }
  return c;
}

TuneConfig load_tune_config(const std::filesystem::path& path) {
  return parse_tune_config(read_file(path), path.string());
}

std::string apply_overrides(const std::filesystem::path& base, const nlohmann::json& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(read_file(base));
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("{}: not valid YAML: {}", base.string(), e.msg));
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  for (const auto& [key, value] : overrides.items()) root[key] = json_to_node(value);
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

}  // namespace bog::tune
