#include "serve/openai_request.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace bog::serve {
namespace {

using nlohmann::json;

OpenAiError bad(const std::string& param, std::string message, std::string code = "invalid_value") {
  return {400, std::move(message), "invalid_request_error", param, std::move(code)};
}

OpenAiError wrong_type(const std::string& param, const char* want, const json& got) {
  return bad(param, fmt::format("'{}' must be {}, not {}", param, want, got.type_name()),
             "invalid_type");
}

// The field if present and not null.
const json* field(const json& j, const char* name) {
  const auto it = j.find(name);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

std::optional<OpenAiError> number_in(const json& j, const char* name, double lo, double hi,
                                     bool lo_open, float& out) {
  const json* v = field(j, name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number()) return wrong_type(name, "a number", *v);
  const double x = v->get<double>();
  if (x > hi || x < lo || (lo_open && x == lo))
    return bad(name, fmt::format("'{}' must be in {}{}, {}] (got {})", name, lo_open ? "(" : "[",
                                 lo, hi, x));
  out = static_cast<float>(x);
  return std::nullopt;
}

std::optional<OpenAiError> integer_at_least(const json& j, const char* name, int64_t lo,
                                            std::optional<int>& out) {
  const json* v = field(j, name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer()) return wrong_type(name, "an integer", *v);
  const auto x = v->get<int64_t>();
  if (x < lo) return bad(name, fmt::format("'{}' must be >= {} (got {})", name, lo, x));
  out = static_cast<int>(std::min<int64_t>(x, 1 << 30));
  return std::nullopt;
}

// A message's content: a string, or OpenAI's array of {"type": "text", "text": ...} parts.
std::variant<std::string, OpenAiError> content_text(const json& c, size_t i) {
  const std::string param = fmt::format("messages[{}].content", i);
  if (c.is_string()) return c.get<std::string>();
  if (!c.is_array()) return wrong_type(param, "a string or an array of text parts", c);
  std::string out;
  for (const json& part : c) {
    if (!part.is_object() || part.value("type", std::string()) != "text" ||
        !part.contains("text") || !part["text"].is_string())
      return bad(param,
                 "only text content parts ({\"type\": \"text\", \"text\": ...}) are supported");
    out += part["text"].get<std::string>();
  }
  return out;
}

std::optional<OpenAiError> parse_messages(const json& j, CompletionRequest& r) {
  const json* m = field(j, "messages");
  if (m == nullptr) return bad("messages", "missing field 'messages'", "missing_field");
  if (!m->is_array()) return wrong_type("messages", "an array", *m);
  if (m->empty()) return bad("messages", "'messages' must hold at least one message");
  for (size_t i = 0; i < m->size(); ++i) {
    const json& msg = (*m)[i];
    const std::string at = fmt::format("messages[{}]", i);
    if (!msg.is_object()) return wrong_type(at, "an object", msg);
    const json* role = field(msg, "role");
    if (role == nullptr || !role->is_string())
      return bad(at + ".role", fmt::format("'{}.role' must be a string", at), "invalid_type");
    const std::string name = role->get<std::string>();
    if (name != "system" && name != "user" && name != "assistant" && name != "developer")
      return bad(at + ".role",
                 fmt::format("'{}.role' must be system, developer, user or assistant (got '{}')",
                             at, name));
    const json* c = field(msg, "content");
    if (c == nullptr)
      return bad(at + ".content", "missing field '" + at + ".content'", "missing_field");
    auto text = content_text(*c, i);
    if (auto* e = std::get_if<OpenAiError>(&text)) return *e;
    r.messages.push_back({name == "developer" ? "system" : name, std::get<std::string>(text)});
  }
  return std::nullopt;
}

std::optional<OpenAiError> parse_prompt(const json& j, CompletionRequest& r) {
  const json* p = field(j, "prompt");
  if (p == nullptr) return bad("prompt", "missing field 'prompt'", "missing_field");
  if (p->is_array()) {
    if (p->size() != 1 || !(*p)[0].is_string())
      return bad("prompt", "'prompt' must be a string or an array of exactly one string");
    r.prompt = (*p)[0].get<std::string>();
  } else if (p->is_string()) {
    r.prompt = p->get<std::string>();
  } else {
    return wrong_type("prompt", "a string", *p);
  }
  if (r.prompt.empty()) return bad("prompt", "'prompt' must not be empty");
  return std::nullopt;
}

std::optional<OpenAiError> parse_stop(const json& j, CompletionRequest& r) {
  const json* s = field(j, "stop");
  if (s == nullptr) return std::nullopt;
  if (s->is_string()) {
    r.stop.push_back(s->get<std::string>());
  } else if (s->is_array()) {
    if (s->size() > 4) return bad("stop", "'stop' takes at most 4 strings");
    for (const json& x : *s) {
      if (!x.is_string()) return wrong_type("stop", "a string or an array of strings", x);
      r.stop.push_back(x.get<std::string>());
    }
  } else {
    return wrong_type("stop", "a string or an array of strings", *s);
  }
  return std::nullopt;
}

std::optional<OpenAiError> parse_fields(const json& j, bool chat, CompletionRequest& r) {
  if (const json* m = field(j, "model")) {
    if (!m->is_string()) return wrong_type("model", "a string", *m);
    r.model = m->get<std::string>();
  }
  if (auto e = chat ? parse_messages(j, r) : parse_prompt(j, r)) return e;
  if (auto e = integer_at_least(j, "max_tokens", 1, r.max_tokens)) return e;
  if (!r.max_tokens) {
    if (auto e = integer_at_least(j, "max_completion_tokens", 1, r.max_tokens)) return e;
  }
  if (auto e = number_in(j, "temperature", 0, 2, false, r.temperature)) return e;
  if (auto e = number_in(j, "top_p", 0, 1, true, r.top_p)) return e;
  if (auto e = number_in(j, "repetition_penalty", 0, 100, true, r.repetition_penalty)) return e;
  std::optional<int> top_k;
  if (auto e = integer_at_least(j, "top_k", 0, top_k)) return e;
  r.top_k = top_k.value_or(0);
  std::optional<int> n;
  if (auto e = integer_at_least(j, "n", 1, n)) return e;
  if (n && *n != 1) return bad("n", "only n = 1 is supported");
  if (const json* s = field(j, "seed")) {
    if (!s->is_number_integer()) return wrong_type("seed", "an integer", *s);
    r.seed =
        s->is_number_unsigned() ? s->get<uint64_t>() : static_cast<uint64_t>(s->get<int64_t>());
  }
  if (auto e = parse_stop(j, r)) return e;
  if (const json* s = field(j, "stream")) {
    if (!s->is_boolean()) return wrong_type("stream", "a boolean", *s);
    r.stream = s->get<bool>();
  }
  if (const json* s = field(j, "ignore_eos")) {
    if (!s->is_boolean()) return wrong_type("ignore_eos", "a boolean", *s);
    r.ignore_eos = s->get<bool>();
  }
  if (const json* o = field(j, "stream_options")) {
    if (!o->is_object()) return wrong_type("stream_options", "an object", *o);
    if (const json* u = field(*o, "include_usage")) {
      if (!u->is_boolean()) return wrong_type("stream_options.include_usage", "a boolean", *u);
      r.include_usage = u->get<bool>();
    }
  }
  return std::nullopt;
}

}  // namespace

std::string openai_error_body(const OpenAiError& e) {
  const auto null_or = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
  return json{{"error",
               {{"message", e.message},
                {"type", e.type},
                {"param", null_or(e.param)},
                {"code", null_or(e.code)}}}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

std::variant<CompletionRequest, OpenAiError> parse_completion_request(std::string_view body,
                                                                      bool chat) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return OpenAiError{400, "the body is not valid JSON (UTF-8)", "invalid_request_error", "",
                       "invalid_json"};
  if (!j.is_object())
    return OpenAiError{400, fmt::format("the body must be a JSON object, not {}", j.type_name()),
                       "invalid_request_error", "", "invalid_json"};
  CompletionRequest r;
  r.chat = chat;
  if (auto e = parse_fields(j, chat, r)) return *e;
  return r;
}

}  // namespace bog::serve
