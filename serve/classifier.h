// The model behind `bog serve`: a bundle's tokenizer and labels with a runtime Session over its
// ONNX export. encode() is safe from any thread; predict() runs one batch and is called by one
// thread at a time (the batcher's worker).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/bundle.h"
#include "onnx_runtime/session.h"
#include "serve/serving_config.h"

namespace bog::serve {

// What /metadata reports about the model and how it runs.
struct ModelInfo {
  std::string architecture;
  std::vector<std::string> labels;
  std::string bundle_sha256;
  std::string onnx_sha256;
  std::string provider_requested;
  std::vector<std::string> providers_used;
  std::vector<std::string> fallback_reasons;
  std::string precision;  // fp32, int8 (dynamic), int4 (weight-only), from the graph
  int64_t ir_version = 0;
  int64_t opset = 0;
  std::string exporter_version;
  int max_len = 0;     // the model's
  int max_tokens = 0;  // the server's limit (<= max_len)
  std::string overlong;
  int64_t num_params = 0;
};

struct Encoded {
  std::vector<int64_t> ids;
  int tokens = 0;  // before truncation
  bool truncated = false;
};

// Thrown by encode() for a text over the token limit under the reject policy.
class TextTooLong : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Probabilities {
  std::vector<float> probs;  // one per label, softmax of the logits
  int label = 0;             // argmax
};

class Classifier {
 public:
  // `onnx_sha256` is what /metadata reports for the served file. Error(kInvalidArgument) when
  // config.max_tokens exceeds the model's max_len; the session's errors pass through.
  Classifier(model::LoadedBundle bundle, runtime::Model onnx, std::string onnx_sha256,
             const ServingConfig& config);
  ~Classifier();

  // Token ids as `bog predict` makes them (model::encode_text), with the server's limit.
  [[nodiscard]] Encoded encode(std::string_view text) const;
  // The batch as session runs of texts of similar length (plan_length_runs), each over
  // right-padded ids with an attention mask; results in the batch's order. runs() counts them.
  [[nodiscard]] std::vector<Probabilities> predict(std::span<const Encoded* const> batch);
  [[nodiscard]] int64_t runs() const { return runs_; }

  [[nodiscard]] const ModelInfo& info() const { return info_; }

 private:
  model::LoadedBundle bundle_;
  // One session run over right-padded ids with an attention mask.
  std::vector<Probabilities> run_padded(std::span<const Encoded* const> batch);

  std::unique_ptr<runtime::Session> session_;
  ModelInfo info_;
  int64_t run_overhead_tokens_ = 16;
  int64_t runs_ = 0;  // session runs so far (only the batcher's worker calls predict)
};

// "int8" when the graph holds dynamic-quantization ops, "int4" for MatMulNBits, else the
// logits' element type ("fp32").
[[nodiscard]] std::string detect_precision(const runtime::Model& model);

}  // namespace bog::serve
