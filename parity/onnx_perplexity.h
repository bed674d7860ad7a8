// Perplexity of an ONNX decoder (fp32 or quantized) on a split, with an LM bundle's tokenizer:
// `bog eval --bundle LM --onnx FILE`. Each document (BOS + text + EOS, as in training) runs as
// one prefill with a zero-length past; every position's logits score the next token.
// Interpreter providers only: ONNX Runtime's runner passes outputs through files, and a split's
// logits are gigabytes.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace bog::parity {

struct OnnxPerplexity {
  double nll = 0;  // mean negative log-likelihood per predicted token (nats)
  double perplexity = 0;
  int64_t tokens = 0;
  int64_t documents = 0;
  std::string provider_used;
  nlohmann::json report;  // the bundle eval's fields plus onnx, provider, provider_used
};

// Error(kInvalidArgument) for provider "ort" or an unknown one; Error(kInvalidModel) for a
// graph that is not a decoder in the optimum naming.
[[nodiscard]] OnnxPerplexity evaluate_onnx_perplexity(const std::filesystem::path& bundle_dir,
                                                      const std::filesystem::path& onnx,
                                                      const std::filesystem::path& data_dir,
                                                      const std::string& split,
                                                      const std::string& provider, int threads,
                                                      int batch = 16);

}  // namespace bog::parity
