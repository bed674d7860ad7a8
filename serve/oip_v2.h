// The Open Inference Protocol (KServe / Triton "v2" REST) for a classifier: the infer request
// parsed and checked, and the metadata and infer response bodies. One input, `text` (BYTES,
// shape [n]); outputs `probabilities` (FP32, [n, classes]) and `label` (BYTES, [n]).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "serve/api_request.h"

namespace bog::serve {

inline constexpr const char* kV2Input = "text";
inline constexpr const char* kV2Probabilities = "probabilities";
inline constexpr const char* kV2Label = "label";

struct V2InferRequest {
  std::string id;  // echoed when given
  std::vector<std::string> texts;
  std::vector<std::string> outputs;  // requested; empty: both
};

// 400 for JSON that is not an infer request, an unknown input or output name, a datatype other
// than BYTES, a shape its data disagrees with, non-string or empty texts, more than max_texts.
[[nodiscard]] std::variant<V2InferRequest, ApiError> parse_v2_infer(std::string_view body,
                                                                    int max_texts);

// GET /v2/models/{name}.
[[nodiscard]] nlohmann::json v2_model_metadata(const std::string& name, int classes);

// The infer response: probabilities[i] has one value per class, labels[i] its argmax's name.
[[nodiscard]] nlohmann::json v2_infer_response(const std::string& name, const V2InferRequest& req,
                                               const std::vector<std::vector<float>>& probabilities,
                                               const std::vector<std::string>& labels);

// /v2/models/{name}/versions/{version}[/ready|/infer] -> the same path without the version part,
// `version` set to it; false (nothing changed) for any other path. The only version is "1".
[[nodiscard]] bool strip_v2_version(std::string& path, std::string& version);

// The model name a bundle directory serves under: its folder's name (as the Triton export).
[[nodiscard]] std::string v2_model_name(const std::string& bundle_dir);

}  // namespace bog::serve
