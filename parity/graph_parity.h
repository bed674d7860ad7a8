// Parity for any ONNX model (not only ours): run it on several providers with inputs from a
// test_data_set folder (or several), compare each with the expected outputs (output_K.pb) or,
// without them, with the first provider; and find the first node where two interpreter
// providers diverge.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "onnx_runtime/tensor.h"
#include "parity/model_parity.h"
#include "parity/tolerance.h"

namespace bog::parity {

struct GraphParityRequest {
  std::filesystem::path onnx;
  // One test_data_set folder (input_K.pb, output_K.pb), or a folder of them (test_data_set_*).
  std::filesystem::path inputs;
  std::vector<std::string> providers;  // reference, cpu, cuda, ort
  Tolerance tolerance;
  int threads = 1;
  bool optimize = true;  // the interpreter providers' graph passes
  runtime::Precision precision = runtime::Precision::kFp32;  // of the interpreter providers
};

// The test_data_set folders under `inputs`: itself when it holds input_0.pb, else its
// subfolders that do, sorted. Error(kInvalidArgument) when there are none.
[[nodiscard]] std::vector<std::filesystem::path> test_data_sets(
    const std::filesystem::path& inputs);

// Runs every data set on every provider and compares each output with the expected outputs
// (output_K.pb; without them, with the first provider's). The result has the bundle path's
// report schema (write it with write_parity_report); `reference` names the baseline.
[[nodiscard]] ParityReport run_graph_parity(const GraphParityRequest& request);

// Why the outputs a provider returned differ from the graph's declared outputs (count, then
// each name in order), or "" when they match. Parity fails on any mismatch: comparing only the
// shorter list would let a provider that drops an output pass.
[[nodiscard]] std::string output_mismatch(const std::vector<std::string>& declared,
                                          const std::vector<std::string>& returned);

struct Divergence {
  bool found = false;
  std::string provider_a, provider_b;
  std::string node, op_type, value;  // first node (in provider_a's order) whose output differs
  double max_abs_diff = 0;
  int values_compared = 0;  // values both runs produced (fused-away intermediates are skipped)
  [[nodiscard]] nlohmann::json to_json() const;
};

// The graph inputs stored in a test_data_set folder (input_K.pb), bound by the name in the
// file or by position among the graph inputs that are not initializers.
[[nodiscard]] std::map<std::string, runtime::Tensor> read_feeds(
    const std::filesystem::path& onnx, const std::filesystem::path& inputs_dir);

// Runs both interpreter providers node by node on the same feeds. Error(kInvalidArgument) for
// "ort" (ONNX Runtime does not expose intermediate values to this runner).
[[nodiscard]] Divergence first_divergence(const std::filesystem::path& onnx,
                                          const std::map<std::string, runtime::Tensor>& feeds,
                                          const std::string& provider_a,
                                          const std::string& provider_b, const Tolerance& tolerance,
                                          int threads);

}  // namespace bog::parity
