// The OpenAI-compatible routes over a GenerationService: POST /v1/completions and
// /v1/chat/completions (JSON, or server-sent events with stream: true: one chunk per text
// delta, a last chunk with the finish_reason, then `data: [DONE]`) and GET /v1/models. Errors
// take OpenAI's shape, {"error": {"message", "type", "param", "code"}}: 400 bad JSON, wrong
// types, bad values, max_tokens past the limit; 404 an unknown model; 413 a prompt past the
// context; 429 (queue full) and 503 (stopping, timed out) with Retry-After.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "serve/generation_service.h"
#include "serve/http_message.h"
#include "serve/openai_request.h"

namespace bog::serve {

class OpenAiRoutes {
 public:
  explicit OpenAiRoutes(GenerationService& service);
  void completions(const HttpRequest& request, HttpResponse& response, bool chat);
  void models(HttpResponse& response) const;
  void model(const std::string& id, HttpResponse& response) const;

 private:
  GenerationService& service_;
  std::atomic<uint64_t> next_id_{1};
  uint64_t seed_base_;
};

void send_openai_error(HttpResponse& response, const OpenAiError& error, int retry_after_s = 0);
// A /v1 response with the server's own error shape ({"error": {"status", "code", "message"}},
// from the HTTP layer or the router) rewritten in OpenAI's.
void to_openai_error(const std::string& path, HttpResponse& response);

}  // namespace bog::serve
