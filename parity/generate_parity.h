// Generation parity of a decoder LM bundle's export (`bog parity --generate`): AG News test
// prompts decoded greedily by the Eigen model (LmEager, the reference), by generate::Generator
// on each interpreter provider and by ONNX Runtime's own loop (present fed back as past).
// Every step's logits (the prefill's at every prompt position, then one row per decode step)
// must lie within atol of the eager ones, and every provider's tokens must equal eager's.
// The report is the parity report `bog bench --generate` requires, plus a `generate` section.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "parity/model_parity.h"
#include "parity/step_comparer.h"

namespace bog::parity {

struct GenerateParityRequest {
  std::filesystem::path bundle;        // a tiny_llama_lm bundle
  std::filesystem::path onnx;          // its export (metadata bundle_sha256 must match)
  std::vector<std::string> providers;  // reference, cpu, cuda, ort
  std::filesystem::path data;          // AG News folder with test.csv
  int prompts = 32;
  int prompt_len = 32;  // tokens per prompt (BOS first); rows with fewer are skipped
  int new_tokens = 64;
  int threads = 1;
  Tolerance tolerance;  // atol bounds every logit; rtol and argmax agreement are not used
  std::function<void(const std::string&)> progress;  // one line per stage (may be empty)
};

struct GenerateParityReport {
  ParityReport parity;  // results[]: provider_requested, provider_used, passed, figures
  int prompt_len = 0;
  int new_tokens = 0;
  std::vector<GenerationParity> generation;  // one per results[] entry
  std::vector<std::string> cache;            // the cache mode each provider's loop ran

  [[nodiscard]] nlohmann::json to_json() const;
};

// Everything but the ONNX file: Error(kInvalidArgument) for a bundle that is not an LM,
// --prompts / --prompt-len / --new-tokens < 1, a prompt and continuation past the context, an
// unknown or repeated provider; Error(kIo) when the data folder has no test.csv.
void validate(const GenerateParityRequest& request);

// validate(), then Error(kInvalidArgument) for an ONNX file that is not the bundle's export or
// too few test rows of prompt_len tokens. A provider that cannot run is a failed result with
// its error (ORT not installed: "ONNX Runtime unavailable: ...", as classifier parity says).
[[nodiscard]] GenerateParityReport run_generate_parity(const GenerateParityRequest& request);

// Writes the report to parity_report_path(artifact) (what bench and evidence read).
void write_generate_parity_report(const std::filesystem::path& artifact,
                                  const GenerateParityReport& report);

}  // namespace bog::parity
