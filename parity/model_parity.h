// Parity of an exported model: the Eigen model (eager) is the reference; the ONNX file runs on
// each requested provider (reference, cpu, cuda through the interpreter; ort through ONNX
// Runtime) on the same tokenized texts, batch by batch, and every provider's logits are
// compared with the eager logits under the tolerance policy.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/train/batching.h"
#include "onnx_runtime/precision.h"
#include "onnx_runtime/tensor.h"
#include "parity/compare.h"
#include "parity/tolerance.h"

namespace bog::parity {

struct ParityRequest {
  std::filesystem::path bundle;
  std::filesystem::path onnx;                 // the artifact under test
  std::vector<std::string> providers;         // reference, cpu, cuda, ort
  std::optional<std::filesystem::path> data;  // AG News dir: test.csv texts; else synthetic
  int samples = 256;
  std::vector<int> batch_sizes = {1, 8};
  int threads = 1;
  bool optimize = true;  // the interpreter providers' graph passes
  runtime::Precision precision = runtime::Precision::kFp32;  // of the interpreter providers
  TolerancePolicy policy;
};

struct ProviderParity {
  std::string provider_requested;
  std::string provider_used;  // from the placement report, or ORT's provider
  std::vector<std::string> fallback_reasons;
  std::string error;  // set when the provider could not run the model at all
  Comparison comparison;
  bool passed = false;
};

struct ParityReport {
  bool passed = false;
  std::string artifact;  // file name of the ONNX artifact
  std::string artifact_sha256;
  std::string bundle_sha256;              // from the artifact's metadata
  std::string reference = "eigen eager";  // what the providers were compared with
  std::string texts;                      // "ag_news test.csv (first N rows)" or "synthetic"
  int samples = 0;
  std::vector<int> batch_sizes;
  Tolerance tolerance;
  std::string ort_version;  // empty when ORT was not requested or not found
  std::vector<ProviderParity> results;
  bool optimize = true;            // the interpreter providers ran their graph passes
  std::string precision = "fp32";  // the interpreter providers' (ORT always runs fp32)

  [[nodiscard]] nlohmann::json to_json() const;
};

// input_ids / attention_mask int64 [batch, seq] of a right-padded batch (mask 1 within each
// row's length): the feeds of our exported classifiers.
[[nodiscard]] std::pair<runtime::Tensor, runtime::Tensor> to_onnx_inputs(const model::Batch& b);

// Runs the comparison. Providers that cannot run are reported as failed with their error.
[[nodiscard]] ParityReport run_model_parity(const ParityRequest& request);

// "<artifact>.parity.json" ("<artifact>.bf16.parity.json" for a bf16 report): written next to
// the artifact; bench, quantize and evidence read it.
[[nodiscard]] std::filesystem::path parity_report_path(const std::filesystem::path& artifact,
                                                       const std::string& precision = "fp32");
void write_parity_report(const std::filesystem::path& artifact, const ParityReport& report);
// The report for exactly this artifact (sha256 must match), or nullopt when there is none or
// it belongs to another version of the file.
[[nodiscard]] std::optional<nlohmann::json> read_parity_report(
    const std::filesystem::path& artifact, const std::string& precision = "fp32");

}  // namespace bog::parity
