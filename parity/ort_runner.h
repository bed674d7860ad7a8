// Drives the ONNX Runtime reference (bench/ort/run_ort.js on onnxruntime-node, CPU) as a child
// process: inputs and outputs travel as serialized onnx.TensorProto files, and the runner times
// its own loop so process start-up never counts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "onnx_runtime/tensor.h"

namespace bog::parity {

struct OrtRunOptions {
  int threads = 1;
  bool allow_spinning = false;  // "0" for side-by-side timing on few cores
  int warmup = 0;
  int iterations = 0;  // timed runs after the first (untimed) one
};

struct OrtRunResult {
  std::string version;   // onnxruntime-node version, e.g. "1.30.0"
  std::string provider;  // ORT execution provider that ran, e.g. "cpu"
  int threads = 1;
  std::string allow_spinning;
  std::vector<std::string> output_names;
  std::vector<runtime::Tensor> outputs;  // in the model's output order
  std::vector<double> latencies_ms;      // one per timed iteration
  double peak_rss_mb = 0;                // the ONNX Runtime process's own peak (0: unknown)
};

// ONNX Runtime's own greedy generation loop (bench/ort/generate_ort.js): prefill with a
// zero-length past, then one token per row per step with present fed back as past.
struct OrtGenerateOptions {
  int new_tokens = 1;
  int threads = 1;
  bool allow_spinning = true;  // ORT's default
  int warmup = 0;              // whole untimed generations before the timed one
  int64_t pad_id = 0;          // left padding
  // Set (parity only): the timed generation writes every step's logits there, raw float32 in
  // step order, outside its step timings; OrtGenerateResult::logits_dims gives each step's dims.
  std::filesystem::path logits_file;
};

struct OrtGenerateResult {
  std::string version;
  std::string provider;
  int threads = 1;
  std::string allow_spinning;
  std::vector<std::vector<int64_t>> tokens;  // generated ids per row (new_tokens each)
  double prefill_ms = 0;                     // prefill and its argmax
  std::vector<double> decode_ms;             // one per decode step (new_tokens - 1)
  double decode_ms_p50 = 0;
  double decode_tokens_per_s = 0;                 // rows x decode steps / decode time
  std::vector<std::vector<int64_t>> logits_dims;  // per step, when logits_file was set
  double peak_rss_mb = 0;                         // the ONNX Runtime process's own (0: unknown)
};

class OrtRunner {
 public:
  // Locates node and an installed bench/ort (env BOG_ORT_DIR, then next to the executable's
  // build folder, then the source tree). nullopt when absent; why_unavailable() says why.
  static std::optional<OrtRunner> find();
  static std::string why_unavailable();

  const std::string& version() const { return version_; }
  const std::filesystem::path& directory() const { return dir_; }

  // Error(kInvalidModel) with ORT's own one-line message when it cannot load or run the model.
  using Feeds = std::vector<std::pair<std::string, const runtime::Tensor*>>;
  OrtRunResult run(const std::filesystem::path& model, const Feeds& inputs,
                   const OrtRunOptions& options) const;

  // Every feed set through one ORT session (one process, one model load); no timing. Returns
  // one result per set, in order. Parity over hundreds of batches depends on this.
  std::vector<OrtRunResult> run_sets(const std::filesystem::path& model,
                                     const std::vector<Feeds>& sets,
                                     const OrtRunOptions& options) const;

  // Greedy generation of `prompts` (left-padded into one batch) in one ORT session.
  // Error(kInvalidModel) with ORT's message for a graph it cannot run as a decoder,
  // Error(kUnsupported) when this install has no generate_ort.js.
  OrtGenerateResult generate(const std::filesystem::path& model,
                             const std::vector<std::vector<int64_t>>& prompts,
                             const OrtGenerateOptions& options) const;

 private:
  OrtRunner(std::filesystem::path dir, std::string version)
      : dir_(std::move(dir)), version_(std::move(version)) {}
  std::filesystem::path dir_;
  std::string version_;
};

}  // namespace bog::parity
