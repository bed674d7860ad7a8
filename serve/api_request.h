// Parsing and validation of /predict and /predict/batch bodies. Every problem becomes an
// ApiError (a 4xx status, a stable code and one line), never an exception or a crash.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bog::serve {

struct ApiError {
  int status = 400;
  std::string code;  // invalid_json, missing_field, wrong_type, empty_text, too_many_texts, ...
  std::string message;
};

// The JSON error body every 4xx/5xx carries: {"error": {"status", "code", "message"}}.
[[nodiscard]] std::string error_body(const ApiError& error);

// {"text": "..."} -> one text.
[[nodiscard]] std::variant<std::string, ApiError> parse_predict(std::string_view body);
// {"texts": ["...", ...]} -> 1..max_texts texts.
[[nodiscard]] std::variant<std::vector<std::string>, ApiError> parse_predict_batch(
    std::string_view body, int max_texts);

}  // namespace bog::serve
