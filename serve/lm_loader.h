// The decoder LM behind `bog serve`'s /v1 routes: a session over a decoder graph file with the
// in-place KV cache, the genai_config.json beside it (EOS, pad, context, vocabulary), the
// tokenizer, and the serving limits; or the facts of an LM bundle (tiny_llama_lm) to go with
// its export.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "model/tokenizer/tokenizer.h"
#include "serve/generation_service.h"
#include "serve/serving_config.h"

namespace bog::serve {

struct LmParts {
  LmInfo info;
  std::unique_ptr<model::Tokenizer> tokenizer;
};

// An LM bundle's tokenizer, context, parameter count, manifest hash and chat template
// (manifest "chat_template", default "plain"). load_lm_bundle's errors pass through.
[[nodiscard]] LmParts read_lm_bundle(const std::filesystem::path& dir);

// `parts` from read_lm_bundle, or a tokenizer alone (--onnx + --tokenizer: the model id is the
// file's stem and the context comes from genai_config.json). Error(kInvalidArgument) when the
// context is unknown; Error(kUnsupported) when the session cannot share its KV cache.
[[nodiscard]] std::unique_ptr<GenerationService> load_generation_service(
    const ServingConfig& config, const std::filesystem::path& decoder, LmParts parts,
    std::function<void()> before_step = {});

}  // namespace bog::serve
