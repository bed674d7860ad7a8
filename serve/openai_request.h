// Parsing and validation of OpenAI-style /v1/completions and /v1/chat/completions bodies, and
// OpenAI's error shape. Every problem becomes an OpenAiError (status, message, type, param,
// code), never an exception. Limits that need the model (context, known model name) are checked
// by the routes (openai_routes.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "serve/chat_template.h"

namespace bog::serve {

struct OpenAiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // "" -> null
  std::string code;   // "" -> null
};

// {"error": {"message", "type", "param", "code"}}.
[[nodiscard]] std::string openai_error_body(const OpenAiError& error);

struct CompletionRequest {
  bool chat = false;
  std::string model;                  // "" when absent
  std::string prompt;                 // /v1/completions
  std::vector<ChatMessage> messages;  // /v1/chat/completions
  std::optional<int> max_tokens;      // max_tokens or max_completion_tokens
  float temperature = 1.0f;           // OpenAI's default
  float top_p = 1.0f;
  int top_k = 0;                    // extension
  float repetition_penalty = 1.0f;  // extension
  std::optional<uint64_t> seed;
  std::vector<std::string> stop;  // at most 4
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool ignore_eos = false;     // extension (vLLM's): generate past the end-of-text token
};

// Fields of OpenAI's request with their types and ranges; n must be 1. Unknown fields are
// ignored (as OpenAI-compatible servers do).
[[nodiscard]] std::variant<CompletionRequest, OpenAiError> parse_completion_request(
    std::string_view body, bool chat);

}  // namespace bog::serve
