// The HTTP API end to end: a real server on a free loopback port over the shipped bundle's
// export, a real HTTP client (cpp-httplib), every route, every kind of bad input, and 64
// concurrent requests whose answers equal `bog predict`'s.
#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/atomic_file.h"
#include "common/error.h"
#include "serve/model_loader.h"
#include "tests/serve/serve_test_util.h"

namespace bog::serve_test {
namespace {

using nlohmann::json;

json body_json(const httplib::Result& r) {
  json j = json::parse(r->body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r->body;
  return j;
}

// Asserts status and that the body is the JSON error shape with the expected code.
void expect_error(const httplib::Result& r, int status, const std::string& code) {
  ASSERT_TRUE(r) << "no response";
  EXPECT_EQ(r->status, status) << r->body;
  EXPECT_NE(r->get_header_value("Content-Type").find("application/json"), std::string::npos);
  const json j = body_json(r);
  ASSERT_TRUE(j.contains("error")) << r->body;
  EXPECT_EQ(j["error"]["status"], status);
  EXPECT_EQ(j["error"]["code"], code) << r->body;
  EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
}

class ServerTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    serve::ServingConfig c = test_config();
    c.max_texts = 8;
    c.max_body_bytes = 4096;
    server_ = new RunningServer(start_server(c));
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port);
    c.set_read_timeout(60);
    return c;
  }
  static httplib::Result post(const std::string& path, const std::string& body) {
    return client().Post(path.c_str(), body, "application/json");
  }
  static RunningServer* server_;
};
RunningServer* ServerTest::server_ = nullptr;

TEST_F(ServerTest, HealthReadyAndVersionAnswer) {
  auto health = client().Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(body_json(health)["status"], "ok");
  auto ready = client().Get("/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(body_json(ready)["ready"], true);
  auto version = client().Get("/version");
  ASSERT_TRUE(version);
  const json v = body_json(version);
  EXPECT_EQ(v["bog"], "0.1.0");
  EXPECT_EQ(v["onnx_opset"], 17);
  EXPECT_FALSE(v["http_server"].get<std::string>().empty());
}

TEST_F(ServerTest, MetadataNamesModelProvidersAndPrecision) {
  auto r = client().Get("/metadata");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const json m = body_json(r);
  EXPECT_EQ(m["model"]["architecture"], "tiny_llama");
  EXPECT_EQ(m["model"]["labels"], json({"World", "Sports", "Business", "Sci/Tech"}));
  EXPECT_EQ(m["model"]["bundle_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(m["model"]["precision"], "fp32");
  EXPECT_EQ(m["provider"]["requested"], "cpu");
  EXPECT_EQ(m["provider"]["used"][0], "cpu");
  EXPECT_EQ(m["serving"]["max_batch"], 32);
  EXPECT_EQ(m["serving"]["max_texts"], 8);
  EXPECT_EQ(m["serving"]["max_tokens"], 128);
  EXPECT_EQ(m["versions"]["bog"], "0.1.0");
}

TEST_F(ServerTest, PageDocsAndOpenApiAreServedWithoutACdn) {
  auto page = client().Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(page->body.find("id=\"predict-form\""), std::string::npos);
  EXPECT_EQ(page->body.find("https://"), std::string::npos) << "the page must not load a CDN";
  auto js = client().Get("/static/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_NE(js->body.find("/predict"), std::string::npos);
  auto docs = client().Get("/docs");
  ASSERT_TRUE(docs);
  EXPECT_EQ(docs->status, 200);
  EXPECT_NE(docs->body.find("/static/docs.js"), std::string::npos);
  EXPECT_EQ(docs->body.find("https://"), std::string::npos);
  auto api = client().Get("/openapi.json");
  ASSERT_TRUE(api);
  const json doc = body_json(api);
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  for (const char* path : {"/", "/health", "/ready", "/metadata", "/predict", "/predict/batch",
                           "/version", "/docs", "/metrics", "/openapi.json"}) {
    EXPECT_TRUE(doc["paths"].contains(path)) << path;
  }
  EXPECT_TRUE(doc["paths"]["/predict"].contains("post"));
  EXPECT_EQ(doc["components"]["schemas"]["PredictBatchRequest"]["properties"]["texts"]["maxItems"],
            8);
  expect_error(client().Get("/static/nosuch.js"), 404, "not_found");
}

TEST_F(ServerTest, EvidenceTablesAreServedByNameOnly) {
  auto r = client().Get("/evidence/accuracy.md");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("| model |"), std::string::npos);
  expect_error(client().Get("/evidence/index.md"), 404, "not_found");
  expect_error(client().Get("/evidence/..%2F..%2FCMakeLists.txt"), 404, "not_found");
}

TEST_F(ServerTest, PredictReturnsLabelProbabilitiesAndLatency) {
  auto r = post("/predict", R"({"text": "Striker scores twice as United win the derby"})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json p = body_json(r);
  EXPECT_EQ(p["label"], "Sports");
  EXPECT_EQ(p["label_id"], 1);
  double sum = 0;
  for (const auto& [label, v] : p["probabilities"].items()) sum += v.get<double>();
  EXPECT_NEAR(sum, 1.0, 1e-5);
  EXPECT_EQ(p["probabilities"].size(), 4u);
  EXPECT_GE(p["latency_ms"].get<double>(), 0.0);
  EXPECT_GT(p["tokens"].get<int>(), 0);
  EXPECT_EQ(p["truncated"], false);
}

TEST_F(ServerTest, BatchAnswersInOrderAndMatchesSinglePredictions) {
  const std::vector<std::string> texts = {"Oil prices fall on weaker demand in Asia",
                                          "Tennis star withdraws with a wrist injury",
                                          "New smartphone chip promises longer battery life"};
  auto r = post("/predict/batch", json{{"texts", texts}}.dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json b = body_json(r);
  ASSERT_EQ(b["predictions"].size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    auto one = post("/predict", json{{"text", texts[i]}}.dump());
    ASSERT_TRUE(one);
    const json p = body_json(one);
    EXPECT_EQ(b["predictions"][i]["label"], p["label"]) << texts[i];
    for (const auto& [label, v] : p["probabilities"].items()) {
      EXPECT_NEAR(b["predictions"][i]["probabilities"][label].get<double>(), v.get<double>(), 1e-5);
    }
  }
}

TEST_F(ServerTest, EveryBadInputGetsA4xxWithAJsonError) {
  expect_error(post("/predict", "{not json"), 400, "invalid_json");
  expect_error(post("/predict", ""), 400, "invalid_json");
  expect_error(post("/predict", "\"just a string\""), 400, "invalid_request");
  expect_error(post("/predict", "{\"text\": \"\xff\xfe bad utf8\"}"), 400, "invalid_json");
  expect_error(post("/predict", R"({"txt": "typo"})"), 422, "missing_field");
  expect_error(post("/predict", R"({"text": 42})"), 422, "wrong_type");
  expect_error(post("/predict", R"({"text": ["a"]})"), 422, "wrong_type");
  expect_error(post("/predict", R"({"text": ""})"), 422, "empty_text");
  expect_error(post("/predict", R"({"text": "   "})"), 422, "empty_text");
  expect_error(post("/predict/batch", R"({"text": "a"})"), 422, "missing_field");
  expect_error(post("/predict/batch", R"({"texts": "a"})"), 422, "wrong_type");
  expect_error(post("/predict/batch", R"({"texts": ["a", 1]})"), 422, "wrong_type");
  expect_error(post("/predict/batch", R"({"texts": []})"), 422, "empty_texts");
  expect_error(post("/predict/batch", R"({"texts": ["a", ""]})"), 422, "empty_text");
  expect_error(post("/predict/batch", json{{"texts", std::vector<std::string>(9, "x")}}.dump()),
               422, "too_many_texts");
  expect_error(post("/predict", json{{"text", std::string(5000, 'a')}}.dump()), 413,
               "body_too_large");
  expect_error(client().Get("/predict"), 405, "method_not_allowed");
  expect_error(post("/health", "{}"), 405, "method_not_allowed");
  expect_error(client().Delete("/metadata"), 405, "method_not_allowed");
  expect_error(client().Put("/predict/batch", "{}", "application/json"), 405, "method_not_allowed");
  expect_error(client().Get("/nosuch"), 404, "not_found");
  expect_error(post("/predict/nosuch", "{}"), 404, "not_found");
  // None of it hurt the server: a good request still answers.
  auto r = post("/predict", R"({"text": "Stocks rally as the bank holds rates"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, BadRequestsAmongGoodOnesDoNotAffectThem) {
  std::vector<std::future<int>> statuses;
  for (int i = 0; i < 32; ++i) {
    statuses.push_back(std::async(std::launch::async, [i] {
      const auto r = i % 2 == 0 ? post("/predict", R"({"text": "Peace talks resume"})")
                                : post("/predict", R"({"text": 7})");
      return r ? r->status : -1;
    }));
  }
  for (int i = 0; i < 32; ++i) EXPECT_EQ(statuses[i].get(), i % 2 == 0 ? 200 : 422) << i;
}

TEST_F(ServerTest, SixtyFourConcurrentRequestsEqualBogPredict) {
  std::vector<std::string> texts;
  const std::vector<std::string> subjects = {"Stocks",      "The striker", "A new chip",
                                             "Peace talks", "Oil prices",  "The champion",
                                             "Researchers", "Parliament"};
  const std::vector<std::string> rests = {"rally after the central bank holds rates",
                                          "scores twice in the derby",
                                          "promises faster AI on phones",
                                          "resume after the ceasefire",
                                          "fall on weaker demand",
                                          "retires after a record career",
                                          "unveil a quantum compiler",
                                          "votes on the budget"};
  for (int i = 0; i < 63; ++i) {
    texts.push_back(subjects[i % 8] + " " + rests[(i / 8 + i) % 8] + " (" + std::to_string(i) +
                    ")");
  }
  // One text far over the 128-token limit: truncated exactly as `bog predict` truncates it.
  std::string long_text;
  for (int i = 0; i < 80; ++i) long_text += "markets rally while tech shares climb again ";
  texts.push_back(long_text);
  ASSERT_EQ(texts.size(), 64u);

  std::vector<std::future<httplib::Result>> answers;
  for (const std::string& t : texts) {
    answers.push_back(std::async(std::launch::async, [t] {
      return post("/predict", json{{"text", t}}.dump());
    }));
  }
  const std::vector<json> expected = bog_predict(texts);
  ASSERT_EQ(expected.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    SCOPED_TRACE(texts[i].substr(0, 60));
    const httplib::Result r = answers[i].get();
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    ASSERT_EQ(r->status, 200) << r->body;
    const json got = body_json(r);
    EXPECT_EQ(got["label"], expected[i]["label"]);
    for (const auto& [label, p] : expected[i]["probs"].items()) {
      EXPECT_NEAR(got["probabilities"][label].get<double>(), p.get<double>(), 1e-4) << label;
    }
  }
  const json last = body_json(post("/predict", json{{"text", long_text}}.dump()));
  EXPECT_EQ(last["truncated"], true);
  EXPECT_GT(last["tokens"].get<int>(), 128);
}

TEST_F(ServerTest, MetricsCountRoutesStatusesLatencyQueueAndBatches) {
  ASSERT_TRUE(post("/predict", R"({"text": "Coach fired after seventh loss"})"));
  ASSERT_TRUE(client().Get("/nosuch"));
  auto r = client().Get("/metrics");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/plain"), std::string::npos);
  const std::string& m = r->body;
  EXPECT_NE(m.find("# TYPE bog_requests_total counter"), std::string::npos);
  EXPECT_NE(m.find("bog_requests_total{route=\"/predict\",status=\"200\"}"), std::string::npos);
  EXPECT_NE(m.find("bog_requests_total{route=\"other\",status=\"404\"}"), std::string::npos);
  EXPECT_NE(m.find("bog_request_duration_seconds_bucket{route=\"/predict\",le=\"+Inf\"}"),
            std::string::npos);
  EXPECT_NE(m.find("bog_queue_depth 0"), std::string::npos);
  EXPECT_NE(m.find("bog_batch_size_bucket{le=\"1\"}"), std::string::npos);
  EXPECT_NE(m.find("bog_batch_size_count "), std::string::npos);
  EXPECT_NE(m.find("bog_session_runs_total "), std::string::npos);
  EXPECT_NE(m.find("bog_ready 1"), std::string::npos);
}

TEST(ServerLimits, OverlongTextIsRejectedUnderTheRejectPolicy) {
  serve::ServingConfig c = test_config();
  c.max_tokens = 8;
  c.overlong = serve::OverlongPolicy::kReject;
  RunningServer s = start_server(c);
  httplib::Client client("127.0.0.1", s.port);
  expect_error(client.Post("/predict",
                           R"({"text": "one two three four five six seven eight nine ten eleven"})",
                           "application/json"),
               422, "text_too_long");
  auto ok = client.Post("/predict", R"({"text": "Oil falls"})", "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST(ServerLimits, FullQueueAnswers503WithRetryAfter) {
  serve::ServingConfig c = test_config();
  c.queue_capacity = 1;
  c.max_texts = 1;
  c.max_batch = 2;
  c.max_wait_ms = 1500;  // the first text waits in the queue for company
  c.retry_after_s = 3;
  RunningServer s = start_server(c);
  auto first = std::async(std::launch::async, [&] {
    httplib::Client client("127.0.0.1", s.port);
    client.set_read_timeout(60);
    return client.Post("/predict", R"({"text": "Oil falls"})", "application/json");
  });
  httplib::Client client("127.0.0.1", s.port);
  // Wait until the first text is queued (the queue then holds its capacity).
  for (int i = 0; i < 2000; ++i) {
    auto m = client.Get("/metrics");
    if (m && m->body.find("bog_queue_depth 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  auto refused = client.Post("/predict", R"({"text": "Stocks rise"})", "application/json");
  expect_error(refused, 503, "queue_full");
  EXPECT_EQ(refused->get_header_value("Retry-After"), "3");
  const auto r = first.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << "the queued request still gets its answer";
  auto after = client.Post("/predict", R"({"text": "Stocks rise"})", "application/json");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200) << "the queue drained";
}

TEST(ServerLifecycle, ReadyIsServiceUnavailableUntilTheSessionIsLoaded) {
  serve::ServingConfig c = test_config();
  std::promise<void> release;
  std::shared_future<void> go = release.get_future().share();
  const auto onnx = exported_onnx();
  serve::Server server(c, [c, go, onnx] {
    go.wait();
    return serve::load_classifier(c, read_file(onnx), onnx.parent_path());
  });
  const int port = server.bind();
  server.start();
  httplib::Client client("127.0.0.1", port);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  expect_error(client.Get("/ready"), 503, "not_ready");
  expect_error(client.Get("/metadata"), 503, "not_ready");
  expect_error(client.Post("/predict", R"({"text": "x y"})", "application/json"), 503, "not_ready");
  release.set_value();
  server.wait_until_loaded();
  auto ready = client.Get("/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
}

TEST(ServerLifecycle, LoaderFailureIsReportedNotFatal) {
  serve::ServingConfig c = test_config();
  serve::Server server(c, []() -> std::unique_ptr<serve::Classifier> {
    throw Error(ErrorCategory::kInvalidModel, "bundle is broken");
  });
  const int port = server.bind();
  server.start();
  EXPECT_THROW(server.wait_until_loaded(), Error);
  httplib::Client client("127.0.0.1", port);
  auto r = client.Get("/ready");
  expect_error(r, 503, "not_ready");
  EXPECT_NE(r->body.find("bundle is broken"), std::string::npos);
}

TEST(ServerLifecycle, BindingATakenPortIsAnIoError) {
  serve::ServingConfig c = test_config();
  serve::Server first(c, [] { return std::unique_ptr<serve::Classifier>(); });
  c.port = first.bind();
  serve::Server second(c, [] { return std::unique_ptr<serve::Classifier>(); });
  try {
    (void)second.bind();
    FAIL() << "bound a port already in use";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kIo);
  }
}

}  // namespace
}  // namespace bog::serve_test
