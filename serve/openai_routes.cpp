#include "serve/openai_routes.h"

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>

#include "serve/chat_template.h"
#include "serve/http_server.h"

namespace bog::serve {
namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// What one response's chunks and body share.
struct Reply {
  bool chat = false;
  std::string id, model;
  int64_t created = 0;
  bool include_usage = false;
  int64_t prompt_tokens = 0;

  const char* object(bool chunk) const {
    return chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion";
  }
  json head(bool chunk) const {
    return {{"id", id}, {"object", object(chunk)}, {"created", created}, {"model", model}};
  }
  json usage(int64_t completion) const {
    return {{"prompt_tokens", prompt_tokens},
            {"completion_tokens", completion},
            {"total_tokens", prompt_tokens + completion}};
  }
  // One SSE event; `delta` is the chat delta object or the completion's text.
  std::string chunk(const json& delta, const json& finish_reason) const {
    json c = head(true);
    json choice = {{"index", 0}, {"finish_reason", finish_reason}};
    if (chat) {
      choice["delta"] = delta;
    } else {
      choice["text"] = delta;
    }
    choice["logprobs"] = nullptr;
    c["choices"] = json::array({choice});
    return sse_event("", dump(c));
  }
  std::string text_chunk(const std::string& text) const {
    return chat ? chunk({{"content", text}}, nullptr) : chunk(text, nullptr);
  }
  std::string body(const JobResult& r) const {
    json b = head(false);
    json choice = {{"index", 0}, {"finish_reason", r.finish_reason}, {"logprobs", nullptr}};
    if (chat) {
      choice["message"] = {{"role", "assistant"}, {"content", r.text}};
    } else {
      choice["text"] = r.text;
    }
    b["choices"] = json::array({choice});
    b["usage"] = usage(r.completion_tokens);
    return dump(b);
  }
  // The end of a stream: the finish chunk (and usage), then [DONE].
  std::string end(const JobResult& r) const {
    std::string out = chat ? chunk(json::object(), r.finish_reason) : chunk("", r.finish_reason);
    if (include_usage) {
      json u = head(true);
      u["choices"] = json::array();
      u["usage"] = usage(r.completion_tokens);
      out += sse_event("", dump(u));
    }
    return out + sse_event("", "[DONE]");
  }
};

// A result that is not a normal end, as the error it becomes (status 0: none).
OpenAiError result_error(const JobResult& r, int retry_after_s) {
  if (r.finish_reason == "timeout")
    return {503, fmt::format("the request timed out; retry after {} s", retry_after_s),
            "server_error", "", "timeout"};
  if (r.finish_reason == "cancelled")
    return {503, "the server is stopping", "server_error", "", "server_stopping"};
  if (r.finish_reason == "error")
    return {500, "generation failed: " + r.error, "server_error", "", "internal_error"};
  return {0, "", "", "", ""};
}

// The producer side of one stream: text queued before the sink exists goes out when it does.
struct StreamState {
  std::mutex mu;
  std::shared_ptr<StreamSink> sink;
  bool finished = false;
  void send(std::string bytes, bool last) {
    std::lock_guard lock(mu);
    if (sink) sink->send(std::move(bytes));
    if (last) {
      finished = true;
      if (sink) sink->close();
    }
  }
  bool gone() {
    std::lock_guard lock(mu);
    return sink && !sink->open();
  }
};

struct Waiter {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  JobResult result;
};

}  // namespace

void send_openai_error(HttpResponse& res, const OpenAiError& e, int retry_after_s) {
  res.status = e.status;
  res.body = openai_error_body(e);
  res.content_type = "application/json";
  if (retry_after_s > 0) res.set_header("Retry-After", std::to_string(retry_after_s));
}

void to_openai_error(const std::string& path, HttpResponse& res) {
  if (res.status < 400 || path.rfind("/v1/", 0) != 0) return;
  const json j = json::parse(res.body, nullptr, false);
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object() ||
      !j["error"].contains("status"))
    return;  // already OpenAI's
  const std::string code = j["error"].value("code", std::string());
  const std::string type = res.status == 429   ? "rate_limit_error"
                           : res.status >= 500 ? "server_error"
                                               : "invalid_request_error";
  res.body = openai_error_body(
      {res.status, j["error"].value("message", std::string("error")), type, "", code});
}

OpenAiRoutes::OpenAiRoutes(GenerationService& service)
    : service_(service), seed_base_(std::random_device{}()) {}

void OpenAiRoutes::models(HttpResponse& res) const {
  const LmInfo& i = service_.info();
  res.body = dump({{"object", "list"},
                   {"data", json::array({{{"id", i.model_id},
                                          {"object", "model"},
                                          {"created", i.created},
                                          {"owned_by", "bog"}}})}});
  res.content_type = "application/json";
}

void OpenAiRoutes::model(const std::string& id, HttpResponse& res) const {
  const LmInfo& i = service_.info();
  if (id != i.model_id)
    return send_openai_error(res, {404,
                                   fmt::format("the model '{}' does not exist (this server "
                                               "has '{}')",
                                               id, i.model_id),
                                   "invalid_request_error", "model", "model_not_found"});
  res.body =
      dump({{"id", i.model_id}, {"object", "model"}, {"created", i.created}, {"owned_by", "bog"}});
  res.content_type = "application/json";
}

void OpenAiRoutes::completions(const HttpRequest& req, HttpResponse& res, bool chat) {
  auto parsed = parse_completion_request(req.body, chat);
  if (auto* e = std::get_if<OpenAiError>(&parsed)) return send_openai_error(res, *e);
  const CompletionRequest& r = std::get<CompletionRequest>(parsed);
  const LmInfo& info = service_.info();
  const GenerationLimits& limits = service_.limits();
  if (!r.model.empty() && r.model != info.model_id)
    return send_openai_error(res, {404,
                                   fmt::format("the model '{}' does not exist (this server has "
                                               "'{}')",
                                               r.model, info.model_id),
                                   "invalid_request_error", "model", "model_not_found"});
  GenerationJob job;
  job.stop = r.stop;
  job.ignore_eos = r.ignore_eos;
  std::string prompt = r.prompt;
  if (chat) {
    prompt = render_chat(info.chat_template, r.messages);
    for (std::string& s : chat_stop_strings(info.chat_template)) job.stop.push_back(std::move(s));
  }
  job.prompt = service_.encode(prompt);
  const auto n = static_cast<int64_t>(job.prompt.size());
  if (n >= info.context_length)
    return send_openai_error(
        res, {413,
              fmt::format("the prompt is {} tokens; this model's context is {} tokens (at least "
                          "one must be left to generate)",
                          n, info.context_length),
              "invalid_request_error", chat ? "messages" : "prompt", "context_length_exceeded"});
  if (r.max_tokens && *r.max_tokens > limits.max_tokens)
    return send_openai_error(
        res, {400,
              fmt::format("max_tokens is {}; this server allows at most {} (the model's context "
                          "is {} tokens)",
                          *r.max_tokens, limits.max_tokens, info.context_length),
              "invalid_request_error", "max_tokens", "invalid_value"});
  // OpenAI's defaults: 16 for completions, as much as fits for chat.
  job.max_tokens = r.max_tokens.value_or(chat ? limits.max_tokens : 16);
  job.sampling = {r.temperature, r.top_k, r.top_p, r.repetition_penalty,
                  r.seed.value_or(seed_base_ + next_id_.load())};
  auto reply = std::make_shared<Reply>();
  reply->chat = chat;
  reply->id = fmt::format("{}-{:016x}", chat ? "chatcmpl" : "cmpl",
                          (seed_base_ << 20) ^ next_id_.fetch_add(1));
  reply->model = info.model_id;
  reply->created = static_cast<int64_t>(std::time(nullptr));
  reply->include_usage = r.include_usage;
  reply->prompt_tokens = n;
  const int retry = limits.retry_after_s;
  const OpenAiError queue_full{
      429,
      fmt::format("the server holds its maximum of {} active and {} queued requests; retry "
                  "after {} s",
                  limits.max_active, limits.max_queued, retry),
      "rate_limit_error", "", "rate_limit_exceeded"};

  if (r.stream) {
    if (!service_.has_room()) return send_openai_error(res, queue_full, retry);
    res.content_type = "text/event-stream";
    res.set_header("Cache-Control", "no-cache");
    res.stream = [this, job = std::move(job), reply, retry](std::shared_ptr<StreamSink> sink) {
      auto state = std::make_shared<StreamState>();
      state->sink = sink;
      if (reply->chat) sink->send(reply->chunk({{"role", "assistant"}, {"content", ""}}, nullptr));
      GenerationJob j = job;
      j.on_text = [state, reply](const std::string& delta) {
        state->send(reply->text_chunk(delta), false);
      };
      j.on_done = [state, reply, retry](const JobResult& result) {
        const OpenAiError e = result_error(result, retry);
        if (e.status != 0) {
          state->send(sse_event("", openai_error_body(e)) + sse_event("", "[DONE]"), true);
        } else {
          state->send(reply->end(result), true);
        }
      };
      j.gone = [state] { return state->gone(); };
      const Admission a = service_.submit(std::move(j));
      if (a != Admission::kAccepted) {
        const OpenAiError e =
            a == Admission::kQueueFull
                ? OpenAiError{429, "the queue filled before this stream started",
                              "rate_limit_error", "", "rate_limit_exceeded"}
                : OpenAiError{503, "the server is stopping", "server_error", "", "server_stopping"};
        state->send(sse_event("", openai_error_body(e)) + sse_event("", "[DONE]"), true);
      }
    };
    return;
  }

  auto waiter = std::make_shared<Waiter>();
  job.on_done = [waiter](const JobResult& result) {
    std::lock_guard lock(waiter->mu);
    waiter->result = result;
    waiter->done = true;
    waiter->cv.notify_all();
  };
  const Admission a = service_.submit(std::move(job));
  if (a == Admission::kQueueFull) return send_openai_error(res, queue_full, retry);
  if (a == Admission::kStopping)
    return send_openai_error(
        res, {503, "the server is stopping", "server_error", "", "server_stopping"}, retry);
  std::unique_lock lock(waiter->mu);
  waiter->cv.wait(lock, [&] { return waiter->done; });
  const OpenAiError e = result_error(waiter->result, retry);
  if (e.status != 0) return send_openai_error(res, e, e.status == 503 ? retry : 0);
  res.status = 200;
  res.body = reply->body(waiter->result);
  res.content_type = "application/json";
}

}  // namespace bog::serve
