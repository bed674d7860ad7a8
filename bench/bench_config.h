// The benchmark matrix a run measures: configs/benchmark.yaml, with command-line overrides.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace bog::bench {

// Backend tokens: eager (Eigen model), reference / cpu / cuda (the interpreter with that
// provider first), ort (ONNX Runtime CPU through bench/ort).
inline const std::vector<std::string>& known_backends() {
  static const std::vector<std::string> k = {"eager", "reference", "cpu", "cuda", "ort"};
  return k;
}

struct BenchConfig {
  std::filesystem::path onnx;    // the exported artifact (interpreter and ORT rows)
  std::filesystem::path bundle;  // the bundle it came from (eager rows, FLOPs, parameters)
  std::vector<std::string> backends = {"eager", "reference", "cpu", "ort"};
  std::vector<int> batch = {1, 8};
  std::vector<int> seq = {32, 128};
  std::vector<int> threads = {1};
  std::string precision = "fp32";  // fp32 | bf16 (the interpreter providers'; ORT runs fp32)
  bool ort_spinning = true;        // ONNX Runtime's intra-op spinning: its default is on
  bool optimize = true;            // the interpreter providers' graph passes (false: --no-optimize)
  int warmup = 1;
  int iterations = 5;
  int rounds = 1;  // iterations are split into this many round-robin passes over backends
  std::filesystem::path out = "runs/bench";
};

// Unknown keys, wrong types and bad values throw Error(kInvalidArgument) naming the key.
[[nodiscard]] BenchConfig parse_bench_config(const std::string& yaml_text,
                                             const std::string& source);
[[nodiscard]] BenchConfig load_bench_config(const std::filesystem::path& path);
// Error(kInvalidArgument) on an empty axis, a non-positive size, an unknown backend.
void validate(const BenchConfig& config);

}  // namespace bog::bench
