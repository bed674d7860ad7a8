// Bundle + ONNX bytes -> Classifier, with the check that the ONNX file was exported from this
// bundle (its metadata's bundle_sha256), so labels and tokenizer match the graph.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "serve/classifier.h"
#include "serve/serving_config.h"

namespace bog::serve {

// Error(kInvalidArgument) when the ONNX metadata names another bundle; bundle and model
// errors pass through. External data resolves against `onnx_dir`.
[[nodiscard]] std::unique_ptr<Classifier> load_classifier(const ServingConfig& config,
                                                          std::string_view onnx_bytes,
                                                          const std::filesystem::path& onnx_dir);

}  // namespace bog::serve
