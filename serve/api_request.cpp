#include "serve/api_request.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace bog::serve {
namespace {

using nlohmann::json;

ApiError unprocessable(std::string code, std::string message) {
  return ApiError{422, std::move(code), std::move(message)};
}

// Parses an object body; nullopt-like ApiError when the body is not a JSON object.
std::variant<json, ApiError> parse_object(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return ApiError{400, "invalid_json", "the body is not valid JSON (UTF-8)"};
  }
  if (!j.is_object()) {
    return ApiError{400, "invalid_request",
                    fmt::format("the body must be a JSON object, not {}", j.type_name())};
  }
  return j;
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

}  // namespace

std::string error_body(const ApiError& error) {
  return json{
      {"error", {{"status", error.status}, {"code", error.code}, {"message", error.message}}}}
      .dump();
}

std::variant<std::string, ApiError> parse_predict(std::string_view body) {
  auto parsed = parse_object(body);
  if (auto* e = std::get_if<ApiError>(&parsed)) return *e;
  const json& j = std::get<json>(parsed);
  const auto it = j.find("text");
  if (it == j.end()) return unprocessable("missing_field", "missing field 'text'");
  if (!it->is_string()) {
    return unprocessable("wrong_type",
                         fmt::format("'text' must be a string, not {}", it->type_name()));
  }
  std::string text = it->get<std::string>();
  if (blank(text)) return unprocessable("empty_text", "'text' is empty");
  return text;
}

std::variant<std::vector<std::string>, ApiError> parse_predict_batch(std::string_view body,
                                                                     int max_texts) {
  auto parsed = parse_object(body);
  if (auto* e = std::get_if<ApiError>(&parsed)) return *e;
  const json& j = std::get<json>(parsed);
  const auto it = j.find("texts");
  if (it == j.end()) return unprocessable("missing_field", "missing field 'texts'");
  if (!it->is_array()) {
    return unprocessable(
        "wrong_type", fmt::format("'texts' must be an array of strings, not {}", it->type_name()));
  }
  if (it->empty()) return unprocessable("empty_texts", "'texts' is empty");
  if (it->size() > static_cast<size_t>(max_texts)) {
    return unprocessable("too_many_texts", fmt::format("'texts' has {} entries; the limit is {}",
                                                       it->size(), max_texts));
  }
  std::vector<std::string> texts;
  texts.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const json& t = (*it)[i];
    if (!t.is_string()) {
      return unprocessable("wrong_type",
                           fmt::format("texts[{}] must be a string, not {}", i, t.type_name()));
    }
    texts.push_back(t.get<std::string>());
    if (blank(texts.back()))
      return unprocessable("empty_text", fmt::format("texts[{}] is empty", i));
  }
  return texts;
}

}  // namespace bog::serve
