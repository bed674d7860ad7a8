// The OpenAI-compatible routes of `bog serve` over the shipped LM (models/agnews-lm), on a real
// loopback server: responses and their fields, the raw server-sent-events wire format, every
// bad input's status and OpenAI error body, 429 and 503 with Retry-After, a client that leaves
// mid-stream freeing its row, and concurrent requests answered as each alone (greedy).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "generate/generator.h"
#include "serve/lm_loader.h"
#include "serve/server.h"
#include "serve/sse_client.h"
#include "serve/text_stream.h"
#include "tests/serve/serve_test_util.h"

namespace bog::serve {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path lm_bundle() { return serve_test::lm_bundle_dir(); }
const fs::path& lm_onnx() { return serve_test::exported_lm_onnx(); }

using serve_test::RunningServer;
using LmServer = RunningServer;
ServingConfig lm_config() { return serve_test::lm_test_config(); }
LmServer start_lm(const ServingConfig& c, std::function<void()> before_step = {}) {
  return serve_test::start_lm(c, std::move(before_step));
}

struct Answer {
  int status = 0;
  std::string retry_after, content_type;
  json body;
};

Answer call(int port, const std::string& method, const std::string& path, const std::string& body) {
  SseClient c("127.0.0.1", port, 30);
  Answer a;
  a.status = c.request(method, path, body);
  a.retry_after = c.header("retry-after");
  a.content_type = c.header("content-type");
  a.body = json::parse(c.read_body(), nullptr, false);
  return a;
}

Answer post(int port, const std::string& path, const json& body) {
  return call(port, "POST", path, body.dump());
}

// The continuation of `prompt` that Generator gives alone (greedy), as text.
std::string alone_text(const std::string& prompt, int max_tokens) {
  LmParts parts = read_lm_bundle(lm_bundle());
  runtime::SessionOptions so;
  so.providers = {"cpu"};
  so.kv_cache = std::make_shared<runtime::KvCacheState>();
  auto session = runtime::Session::from_file(lm_onnx(), so);
  generate::Generator g(session);
  generate::GenerationOptions o;
  o.max_new_tokens = max_tokens;
  o.eos_ids = {parts.tokenizer->eos_id()};
  o.context_length = parts.info.context_length;
  const auto ids32 = parts.tokenizer->encode(prompt, 0, true, false);
  const std::vector<int64_t> ids(ids32.begin(), ids32.end());
  const auto r = g.generate({ids}, o);
  TextStream text(*parts.tokenizer, ids, {});
  for (const int64_t t : r.rows[0].tokens) (void)text.push(t);
  (void)text.finish();
  return text.shown();
}

// Parsed SSE events of one streamed request: the JSON chunks and whether [DONE] ended it.
struct Stream {
  int status = 0;
  std::string content_type, raw;
  std::vector<json> chunks;
  bool done = false;
  std::string text;  // content deltas joined
};

Stream stream(int port, const std::string& path, const json& body) {
  SseClient c("127.0.0.1", port, 30);
  Stream s;
  s.status = c.request("POST", path, body.dump());
  s.content_type = c.header("content-type");
  std::string data;
  while (c.next_event(data)) {
    if (data == "[DONE]") {
      s.done = true;
      continue;
    }
    json j = json::parse(data, nullptr, false);
    if (j.is_object() && j.contains("choices") && !j["choices"].empty()) {
      const json& ch = j["choices"][0];
      if (ch.contains("text")) s.text += ch["text"].get<std::string>();
      if (ch.contains("delta") && ch["delta"].contains("content"))
        s.text += ch["delta"]["content"].get<std::string>();
    }
    s.chunks.push_back(std::move(j));
  }
  s.raw = c.raw();
  return s;
}

const std::vector<std::string> kPrompts = {"Stocks rallied on Wall Street as",
                                           "The team won the championship after",
                                           "Scientists said the new", "Oil prices rose sharply on"};

class GenerationRoutes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new LmServer(start_lm(lm_config())); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static int port() { return server_->port; }
  static LmServer* server_;
};
LmServer* GenerationRoutes::server_ = nullptr;

TEST_F(GenerationRoutes, ACompletionHasOpenAisShapeAndTheGreedyTextOfARunAlone) {
  const Answer a = post(
      port(), "/v1/completions",
      {{"model", "agnews-lm"}, {"prompt", kPrompts[0]}, {"max_tokens", 12}, {"temperature", 0}});
  ASSERT_EQ(a.status, 200) << a.body;
  const json& b = a.body;
  EXPECT_EQ(b["object"], "text_completion");
  EXPECT_EQ(b["id"].get<std::string>().rfind("cmpl-", 0), 0u);
  EXPECT_TRUE(b["created"].is_number_integer());
  EXPECT_EQ(b["model"], "agnews-lm");
  ASSERT_EQ(b["choices"].size(), 1u);
  EXPECT_EQ(b["choices"][0]["index"], 0);
  EXPECT_EQ(b["choices"][0]["text"], alone_text(kPrompts[0], 12));
  const std::string finish = b["choices"][0]["finish_reason"];
  EXPECT_TRUE(finish == "stop" || finish == "length") << finish;
  const json& u = b["usage"];
  EXPECT_GT(u["prompt_tokens"].get<int>(), 3);
  EXPECT_GE(u["completion_tokens"].get<int>(), 1);
  EXPECT_LE(u["completion_tokens"].get<int>(), 12);
  EXPECT_EQ(u["total_tokens"], u["prompt_tokens"].get<int>() + u["completion_tokens"].get<int>());
  if (finish == "length") {
    EXPECT_EQ(u["completion_tokens"], 12);
  }
}

TEST_F(GenerationRoutes, ChatUsesTheRolePrefixedTemplateAndAnswersAsTheAssistant) {
  const json messages = json::array({{{"role", "system"}, {"content", "You write headlines."}},
                                     {{"role", "user"}, {"content", "Markets today?"}}});
  const Answer a = post(
      port(), "/v1/chat/completions",
      {{"model", "agnews-lm"}, {"messages", messages}, {"max_tokens", 10}, {"temperature", 0}});
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body["object"], "chat.completion");
  EXPECT_EQ(a.body["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  const json& m = a.body["choices"][0]["message"];
  EXPECT_EQ(m["role"], "assistant");
  const std::string prompt = "system: You write headlines.\nuser: Markets today?\nassistant:";
  std::string want = alone_text(prompt, 10);
  for (const char* stop : {"\nuser:", "\nsystem:"}) want = want.substr(0, want.find(stop));
  EXPECT_EQ(m["content"], want);
  EXPECT_EQ(a.body["usage"]["prompt_tokens"],
            static_cast<int>(
                read_lm_bundle(lm_bundle()).tokenizer->encode(prompt, 0, true, false).size()));
}

TEST_F(GenerationRoutes, AStreamIsOneDataChunkPerDeltaThenTheFinishThenDone) {
  const json body = {{"model", "agnews-lm"},
                     {"prompt", kPrompts[1]},
                     {"max_tokens", 16},
                     {"temperature", 0},
                     {"stream", true}};
  const Stream s = stream(port(), "/v1/completions", body);
  ASSERT_EQ(s.status, 200);
  EXPECT_EQ(s.content_type, "text/event-stream");
  // The wire: every event is "data: ...\n\n", the last one "data: [DONE]".
  const size_t head = s.raw.find("\r\n\r\n");
  ASSERT_NE(head, std::string::npos);
  const std::string events = s.raw.substr(head + 4);
  EXPECT_EQ(events.rfind("data: ", 0), 0u) << events;
  ASSERT_GE(events.size(), 16u);
  EXPECT_EQ(events.substr(events.size() - 14), "data: [DONE]\n\n");
  size_t count = 0;
  for (size_t pos = 0; pos < events.size(); ++count) {
    const size_t end = events.find("\n\n", pos);
    ASSERT_NE(end, std::string::npos);
    const std::string e = events.substr(pos, end - pos);
    EXPECT_EQ(e.rfind("data: ", 0), 0u) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << "one data line per event";
    pos = end + 2;
  }
  EXPECT_EQ(count, s.chunks.size() + 1);
  ASSERT_TRUE(s.done);
  ASSERT_GE(s.chunks.size(), 2u);
  for (size_t i = 0; i + 1 < s.chunks.size(); ++i) {
    EXPECT_EQ(s.chunks[i]["object"], "text_completion");
    EXPECT_EQ(s.chunks[i]["id"], s.chunks[0]["id"]);
    EXPECT_TRUE(s.chunks[i]["choices"][0]["finish_reason"].is_null());
    EXPECT_FALSE(s.chunks[i]["choices"][0]["text"].get<std::string>().empty());
  }
  const json& last = s.chunks.back()["choices"][0];
  EXPECT_TRUE(last["finish_reason"] == "stop" || last["finish_reason"] == "length");
  EXPECT_EQ(last["text"], "");
  // The stream says what the non-streamed answer says.
  const Answer a = post(
      port(), "/v1/completions",
      {{"model", "agnews-lm"}, {"prompt", kPrompts[1]}, {"max_tokens", 16}, {"temperature", 0}});
  EXPECT_EQ(s.text, a.body["choices"][0]["text"]);
}

TEST_F(GenerationRoutes, AChatStreamStartsWithTheRoleAndCanEndWithUsage) {
  const Stream s =
      stream(port(), "/v1/chat/completions",
             {{"messages", json::array({{{"role", "user"}, {"content", "Any sports news?"}}})},
              {"max_tokens", 8},
              {"temperature", 0},
              {"stream", true},
              {"stream_options", {{"include_usage", true}}}});
  ASSERT_EQ(s.status, 200);
  ASSERT_TRUE(s.done);
  ASSERT_GE(s.chunks.size(), 3u);
  EXPECT_EQ(s.chunks[0]["object"], "chat.completion.chunk");
  EXPECT_EQ(s.chunks[0]["choices"][0]["delta"]["role"], "assistant");
  const json& usage = s.chunks.back();
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_GE(usage["usage"]["completion_tokens"].get<int>(), 1);
  const json& finish = s.chunks[s.chunks.size() - 2]["choices"][0];
  EXPECT_TRUE(finish["delta"].empty());
  EXPECT_FALSE(finish["finish_reason"].is_null());
}

TEST_F(GenerationRoutes, StopStringsEndTheTextBeforeThem) {
  const std::string full = alone_text(kPrompts[2], 24);
  ASSERT_GE(full.size(), 8u);
  const std::string stop = full.substr(full.size() / 2, 3);
  const std::string want = full.substr(0, full.find(stop));
  for (const bool streamed : {false, true}) {
    const json body = {{"prompt", kPrompts[2]},
                       {"max_tokens", 24},
                       {"temperature", 0},
                       {"stop", json::array({stop})},
                       {"stream", streamed}};
    if (streamed) {
      const Stream s = stream(port(), "/v1/completions", body);
      EXPECT_EQ(s.text, want);
      EXPECT_EQ(s.chunks.back()["choices"][0]["finish_reason"], "stop");
    } else {
      const Answer a = post(port(), "/v1/completions", body);
      EXPECT_EQ(a.body["choices"][0]["text"], want);
      EXPECT_EQ(a.body["choices"][0]["finish_reason"], "stop");
    }
  }
}

TEST_F(GenerationRoutes, ConcurrentRequestsGetWhatEachGetsAlone) {
  std::vector<std::future<Answer>> answers;
  for (int round = 0; round < 2; ++round) {
    for (const std::string& p : kPrompts) {
      answers.push_back(std::async(std::launch::async, [p] {
        return post(port(), "/v1/completions",
                    {{"prompt", p}, {"max_tokens", 20}, {"temperature", 0}, {"ignore_eos", true}});
      }));
    }
  }
  std::vector<std::string> texts;
  for (auto& f : answers) {
    const Answer a = f.get();
    ASSERT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.body["usage"]["completion_tokens"], 20);
    texts.push_back(a.body["choices"][0]["text"]);
  }
  // Each equals the same request made alone.
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string& p = kPrompts[i % kPrompts.size()];
    const Answer alone =
        post(port(), "/v1/completions",
             {{"prompt", p}, {"max_tokens", 20}, {"temperature", 0}, {"ignore_eos", true}});
    EXPECT_EQ(texts[i], alone.body["choices"][0]["text"]) << p;
  }
  // And the same seed draws the same sampled text.
  const json sampled = {{"prompt", kPrompts[3]}, {"max_tokens", 12}, {"temperature", 0.8},
                        {"top_p", 0.9},          {"top_k", 50},      {"seed", 7}};
  EXPECT_EQ(post(port(), "/v1/completions", sampled).body["choices"][0]["text"],
            post(port(), "/v1/completions", sampled).body["choices"][0]["text"]);
}

TEST_F(GenerationRoutes, ModelsMetadataAndMetricsCoverGeneration) {
  const Answer m = call(port(), "GET", "/v1/models", "");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.body["object"], "list");
  EXPECT_EQ(m.body["data"][0]["id"], "agnews-lm");
  EXPECT_EQ(m.body["data"][0]["object"], "model");
  EXPECT_EQ(call(port(), "GET", "/v1/models/agnews-lm", "").status, 200);
  EXPECT_EQ(call(port(), "GET", "/v1/models/gpt-4", "").status, 404);
  ASSERT_EQ(post(port(), "/v1/completions", {{"prompt", "Hello"}, {"max_tokens", 3}}).status, 200);
  const Answer meta = call(port(), "GET", "/metadata", "");
  ASSERT_EQ(meta.status, 200);
  EXPECT_EQ(meta.body["model"]["context_length"], 256);
  EXPECT_EQ(meta.body["serving"]["continuous_batching"], true);
  EXPECT_GE(meta.body["generation"]["tokens_generated"].get<int>(), 1);
  for (const char* k : {"tokens_per_s", "active_sequences", "queue_length", "ttft_ms_mean",
                        "decode_ms_per_step", "decode_session_ms_per_step"})
    EXPECT_TRUE(meta.body["generation"].contains(k)) << k;
  SseClient c("127.0.0.1", port(), 10);
  ASSERT_EQ(c.request("GET", "/metrics", ""), 200);
  const std::string metrics = c.read_body();
  for (const char* name :
       {"bog_generation_tokens_total ", "bog_generation_tokens_per_second ",
        "bog_generation_active_sequences 0", "bog_generation_queue_length 0",
        "bog_generation_ttft_seconds_count ", "bog_generation_requests_total{finish_reason="})
    EXPECT_NE(metrics.find(name), std::string::npos) << name;
  // The classifier's routes say what this server is.
  const Answer p = post(port(), "/predict", {{"text", "hello"}});
  EXPECT_EQ(p.status, 404);
  EXPECT_NE(p.body.dump().find("decoder LM"), std::string::npos);
}

void expect_openai_error(const Answer& a, int status, const std::string& param,
                         const std::string& what) {
  EXPECT_EQ(a.status, status) << what << ": " << a.body;
  ASSERT_TRUE(a.body.is_object() && a.body.contains("error")) << what << ": " << a.body;
  const json& e = a.body["error"];
  EXPECT_EQ(e.size(), 4u) << what;
  EXPECT_TRUE(e["message"].is_string() && !e["message"].get<std::string>().empty()) << what;
  EXPECT_TRUE(e["type"].is_string()) << what;
  EXPECT_TRUE(e["code"].is_string() || e["code"].is_null()) << what;
  if (param.empty()) {
    EXPECT_TRUE(e["param"].is_null()) << what << ": " << e;
  } else {
    EXPECT_EQ(e["param"], param) << what;
  }
}

TEST_F(GenerationRoutes, EveryBadInputGetsItsStatusAndAnOpenAiErrorBody) {
  struct Case {
    const char* what;
    std::string path, body;
    int status;
    std::string param;
  };
  const std::string c = "/v1/completions", chat = "/v1/chat/completions";
  std::string long_prompt;
  for (int i = 0; i < 300; ++i) long_prompt += "markets ";
  const std::vector<Case> cases = {
      {"bad JSON", c, "{\"prompt\": ", 400, ""},
      {"not an object", c, "[1, 2]", 400, ""},
      {"no prompt", c, R"({"model": "agnews-lm"})", 400, "prompt"},
      {"prompt a number", c, R"({"prompt": 5})", 400, "prompt"},
      {"empty prompt", c, R"({"prompt": ""})", 400, "prompt"},
      {"model a number", c, R"({"prompt": "a", "model": 3})", 400, "model"},
      {"no messages", chat, R"({"prompt": "a"})", 400, "messages"},
      {"messages not an array", chat, R"({"messages": "hi"})", 400, "messages"},
      {"empty messages", chat, R"({"messages": []})", 400, "messages"},
      {"bad role", chat, R"({"messages": [{"role": "wizard", "content": "x"}]})", 400,
       "messages[0].role"},
      {"content a number", chat, R"({"messages": [{"role": "user", "content": 1}]})", 400,
       "messages[0].content"},
      {"temperature a string", c, R"({"prompt": "a", "temperature": "hot"})", 400, "temperature"},
      {"temperature 3", c, R"({"prompt": "a", "temperature": 3})", 400, "temperature"},
      {"top_p 0", c, R"({"prompt": "a", "top_p": 0})", 400, "top_p"},
      {"top_k -1", c, R"({"prompt": "a", "top_k": -1})", 400, "top_k"},
      {"repetition_penalty 0", c, R"({"prompt": "a", "repetition_penalty": 0})", 400,
       "repetition_penalty"},
      {"max_tokens 0", c, R"({"prompt": "a", "max_tokens": 0})", 400, "max_tokens"},
      {"max_tokens 1.5", c, R"({"prompt": "a", "max_tokens": 1.5})", 400, "max_tokens"},
      {"max_tokens past the context", c, R"({"prompt": "a", "max_tokens": 100000})", 400,
       "max_tokens"},
      {"n 2", c, R"({"prompt": "a", "n": 2})", 400, "n"},
      {"stream a string", c, R"({"prompt": "a", "stream": "yes"})", 400, "stream"},
      {"seed a string", c, R"({"prompt": "a", "seed": "x"})", 400, "seed"},
      {"five stops", c, R"({"prompt": "a", "stop": ["a","b","c","d","e"]})", 400, "stop"},
      {"stop a number", c, R"({"prompt": "a", "stop": 1})", 400, "stop"},
      {"unknown model", c, R"({"prompt": "a", "model": "gpt-4"})", 404, "model"},
      {"unknown model (chat)", chat,
       R"({"model": "gpt-4", "messages": [{"role": "user", "content": "x"}]})", 404, "model"},
      {"prompt past the context", c, json{{"prompt", long_prompt}}.dump(), 413, "prompt"},
      {"body too large", c, json{{"prompt", std::string(70000, 'a')}}.dump(), 413, ""},
  };
  for (const Case& k : cases) {
    expect_openai_error(call(port(), "POST", k.path, k.body), k.status, k.param, k.what);
  }
  expect_openai_error(call(port(), "GET", c, ""), 405, "", "GET on a POST route");
  expect_openai_error(call(port(), "POST", "/v1/nothing", "{}"), 404, "", "no such route");
  // The server still answers.
  EXPECT_EQ(post(port(), c, {{"prompt", "a"}, {"max_tokens", 2}}).status, 200);
}

std::string metrics_now(int port) {
  SseClient c("127.0.0.1", port, 5);
  return c.request("GET", "/metrics", "") == 200 ? c.read_body() : "";
}

// Polls /metrics until `line` appears (or 10 s pass).
bool metrics_show(int port, const std::string& line) {
  for (int i = 0; i < 200; ++i) {
    if (metrics_now(port).find(line) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(GenerationLimits, AClientThatLeavesMidStreamFreesItsRowAtTheNextStep) {
  // 20 ms a step: 240 tokens would take about 5 s.
  LmServer s =
      start_lm(lm_config(), [] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); });
  SseClient c("127.0.0.1", s.port, 30);
  ASSERT_EQ(
      c.request(
          "POST", "/v1/completions",
          json{{"prompt", kPrompts[0]}, {"max_tokens", 240}, {"ignore_eos", true}, {"stream", true}}
              .dump()),
      200);
  std::string data;
  ASSERT_TRUE(c.next_event(data));
  ASSERT_TRUE(metrics_show(s.port, "bog_generation_active_sequences 1"));
  c.close();
  // Ended as cancelled (not "length"): its row was freed before its 240 tokens.
  ASSERT_TRUE(metrics_show(s.port, "bog_generation_requests_total{finish_reason=\"cancelled\"} 1"));
  EXPECT_TRUE(metrics_show(s.port, "bog_generation_active_sequences 0"));
  EXPECT_EQ(metrics_now(s.port).find("finish_reason=\"length\""), std::string::npos);
}

TEST(GenerationLimits, PastTheQueue429AndPastTheTimeout503BothWithRetryAfter) {
  ServingConfig c = lm_config();
  c.generation_max_active = 1;
  c.generation_max_queued = 0;
  c.generation_timeout_ms = 2000;  // the busy request needs 200 steps of 20 ms
  c.retry_after_s = 2;
  LmServer s = start_lm(c, [] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); });
  auto busy = std::async(std::launch::async, [&] {
    return post(s.port, "/v1/completions",
                {{"prompt", kPrompts[0]}, {"max_tokens", 200}, {"ignore_eos", true}});
  });
  ASSERT_TRUE(metrics_show(s.port, "bog_generation_active_sequences 1"));
  const Answer full = post(s.port, "/v1/completions", {{"prompt", "a"}, {"max_tokens", 2}});
  expect_openai_error(full, 429, "", "queue full");
  EXPECT_EQ(full.retry_after, "2");
  EXPECT_EQ(full.body["error"]["code"], "rate_limit_exceeded");
  const Stream refused =
      stream(s.port, "/v1/completions", {{"prompt", "a"}, {"max_tokens", 2}, {"stream", true}});
  EXPECT_EQ(refused.status, 429);
  const Answer late = busy.get();  // 200 tokens at 20 ms a step: past the 2 s timeout
  expect_openai_error(late, 503, "", "timed out");
  EXPECT_EQ(late.retry_after, "2");
  EXPECT_EQ(late.body["error"]["code"], "timeout");
}

TEST(GenerationLimits, NoBatchingRunsOneSequenceAtATime) {
  ServingConfig c = lm_config();
  c.batching = false;
  LmServer s = start_lm(c);
  std::vector<std::future<Answer>> answers;
  for (const std::string& p : kPrompts) {
    answers.push_back(std::async(std::launch::async, [&s, p] {
      return post(s.port, "/v1/completions",
                  {{"prompt", p}, {"max_tokens", 10}, {"temperature", 0}, {"ignore_eos", true}});
    }));
  }
  for (auto& a : answers) EXPECT_EQ(a.get().status, 200);
  const Answer meta = call(s.port, "GET", "/metadata", "");
  EXPECT_EQ(meta.body["serving"]["continuous_batching"], false);
  EXPECT_EQ(meta.body["serving"]["max_active_sequences"], 1);
  EXPECT_DOUBLE_EQ(meta.body["generation"]["mean_rows_per_step"].get<double>(), 1.0);
}

TEST(TextStream, JoinedDeltasAreTheWholeDecodeOfTheContinuation) {
  LmParts parts = read_lm_bundle(lm_bundle());
  const model::Tokenizer& tok = *parts.tokenizer;
  for (const std::string& p : kPrompts) {
    const auto ids32 = tok.encode(p + " shares of the company were up 5 percent", 0, true, false);
    const std::vector<int64_t> ids(ids32.begin(), ids32.end());
    const size_t cut = tok.encode(p, 0, true, false).size();
    const std::vector<int64_t> prompt(ids.begin(), ids.begin() + static_cast<long>(cut));
    TextStream s(tok, prompt, {});
    std::string joined;
    for (size_t i = cut; i < ids.size(); ++i) joined += s.push(ids[i]);
    joined += s.finish();
    const std::string all = tok.decode(ids32);
    const std::string head =
        tok.decode(std::vector<int32_t>(ids32.begin(), ids32.begin() + static_cast<long>(cut)));
    EXPECT_EQ(joined, all.substr(head.size())) << p;
  }
}

}  // namespace
}  // namespace bog::serve
