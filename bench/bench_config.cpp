#include "bench/bench_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace bog::bench {
namespace {

Error bad(const std::string& source, const std::string& key, const std::string& what) {
  return Error(ErrorCategory::kInvalidArgument, fmt::format("{}: {}: {}", source, key, what));
}

template <typename T>
T scalar(const YAML::Node& n, const std::string& source, const std::string& key) {
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    throw bad(source, key, "wrong type");
  }
}

template <typename T>
std::vector<T> list(const YAML::Node& n, const std::string& source, const std::string& key) {
  std::vector<T> out;
  if (n.IsScalar()) {
    out.push_back(scalar<T>(n, source, key));
    return out;
  }
  if (!n.IsSequence()) throw bad(source, key, "expected a list");
  for (const YAML::Node& item : n) out.push_back(scalar<T>(item, source, key));
  return out;
}

}  // namespace

BenchConfig parse_bench_config(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCategory::kInvalidArgument, fmt::format("{}: not YAML: {}", source, e.msg));
  }
  BenchConfig c;
  if (root.IsNull()) return c;
  if (!root.IsMap()) throw bad(source, "<root>", "expected a mapping");
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "onnx") {
      c.onnx = scalar<std::string>(v, source, key);
    } else if (key == "bundle") {
      c.bundle = scalar<std::string>(v, source, key);
    } else if (key == "backends") {
      c.backends = list<std::string>(v, source, key);
    } else if (key == "batch") {
      c.batch = list<int>(v, source, key);
    } else if (key == "seq") {
      c.seq = list<int>(v, source, key);
    } else if (key == "threads") {
      c.threads = list<int>(v, source, key);
    } else if (key == "ort_spinning") {
      c.ort_spinning = scalar<bool>(v, source, key);
    } else if (key == "optimize") {
      c.optimize = scalar<bool>(v, source, key);
    } else if (key == "precision") {
      c.precision = scalar<std::string>(v, source, key);
    } else if (key == "warmup") {
      c.warmup = scalar<int>(v, source, key);
    } else if (key == "iterations") {
      c.iterations = scalar<int>(v, source, key);
    } else if (key == "rounds") {
      c.rounds = scalar<int>(v, source, key);
    } else if (key == "out") {
      c.out = scalar<std::string>(v, source, key);
    } else {
      throw bad(source, key, "unknown key");
    }
  }
  try {
    validate(c);
  } catch (const Error& e) {
    throw Error(ErrorCategory::kInvalidArgument, fmt::format("{}: {}", source, e.what()));
  }
  return c;
}

BenchConfig load_bench_config(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCategory::kIo, fmt::format("cannot read {}", path.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_bench_config(ss.str(), path.filename().string());
}

void validate(const BenchConfig& c) {
  auto positive = [](const std::vector<int>& v, const char* key) {
    if (v.empty()) throw Error(ErrorCategory::kInvalidArgument, fmt::format("{}: empty list", key));
    for (const int x : v) {
      if (x < 1 || x > 65536) {
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("{}: {} is out of range [1, 65536]", key, x));
      }
    }
  };
  positive(c.batch, "batch");
  positive(c.seq, "seq");
  positive(c.threads, "threads");
  if (c.backends.empty()) throw Error(ErrorCategory::kInvalidArgument, "backends: empty list");
  for (const std::string& b : c.backends) {
    const auto& k = known_backends();
    if (std::find(k.begin(), k.end(), b) == k.end()) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("backends: unknown backend '{}' (known: {})", b, fmt::join(k, ", ")));
    }
  }
  if (c.precision != "fp32" && c.precision != "bf16") {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("precision: '{}' is not one of fp32, bf16 (quantized artifacts are "
                            "benchmarked as their own backend)",
                            c.precision));
  }
  if (c.warmup < 0 || c.warmup > 10000) {
    throw Error(ErrorCategory::kInvalidArgument, "warmup: must be in [0, 10000]");
  }
  if (c.iterations < 1 || c.iterations > 100000) {
    throw Error(ErrorCategory::kInvalidArgument, "iterations: must be in [1, 100000]");
  }
  if (c.rounds < 1 || c.rounds > c.iterations) {
    throw Error(ErrorCategory::kInvalidArgument, "rounds: must be in [1, iterations]");
  }
}

}  // namespace bog::bench
