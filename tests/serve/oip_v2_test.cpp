// The Open Inference Protocol (v2 REST) routes of `bog serve`: every route answers as the
// protocol says, infer agrees with /predict, and every bad input gets a 4xx {"error": "..."}.
#include "serve/oip_v2.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/serve/serve_test_util.h"

namespace bog::serve_test {
namespace {

using nlohmann::json;

class OipV2 : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    serve::ServingConfig c = test_config();
    c.max_texts = 4;
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
  static json get_json(const std::string& path, int status) {
    auto r = client().Get(path.c_str());
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    EXPECT_EQ(r->status, status) << path << ": " << r->body;
    return json::parse(r->body, nullptr, false);
  }
  static httplib::Result infer(const std::string& body, const std::string& model = "") {
    const std::string name = model.empty() ? serve::v2_model_name(bundle_dir().string()) : model;
    return client().Post(("/v2/models/" + name + "/infer").c_str(), body, "application/json");
  }
  // A 4xx whose body is {"error": "<non-empty>"} mentioning `needle`.
  static void expect_v2_error(const httplib::Result& r, int status, const std::string& needle) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    const json j = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error") && j["error"].is_string()) << r->body;
    EXPECT_NE(j["error"].get<std::string>().find(needle), std::string::npos) << r->body;
  }
  static RunningServer* server_;
};
RunningServer* OipV2::server_ = nullptr;

const std::string kName = "agnews-tiny-llama";

TEST_F(OipV2, HealthServerAndModelRoutesAnswer) {
  EXPECT_EQ(serve::v2_model_name(bundle_dir().string()), kName);
  EXPECT_EQ(get_json("/v2/health/live", 200)["live"], true);
  EXPECT_EQ(get_json("/v2/health/ready", 200)["ready"], true);
  const json server = get_json("/v2", 200);
  EXPECT_EQ(server["name"], "bog");
  EXPECT_EQ(server["version"], "0.1.0");
  EXPECT_TRUE(server["extensions"].is_array());
  EXPECT_EQ(get_json("/v2/models", 200)["models"], json({kName}));
  const json meta = get_json("/v2/models/" + kName, 200);
  EXPECT_EQ(meta["name"], kName);
  EXPECT_EQ(meta["inputs"], json::parse(R"([{"name":"text","datatype":"BYTES","shape":[-1]}])"));
  EXPECT_EQ(meta["outputs"][0], json::parse(R"({"name":"probabilities","datatype":"FP32",
                                                "shape":[-1,4]})"));
  EXPECT_EQ(meta["outputs"][1], json::parse(R"({"name":"label","datatype":"BYTES",
                                                "shape":[-1]})"));
  const json ready = get_json("/v2/models/" + kName + "/ready", 200);
  EXPECT_EQ(ready["ready"], true);
  EXPECT_EQ(get_json("/v2/models/nosuch", 404)["error"].get<std::string>().find("nosuch") !=
                std::string::npos,
            true);
  EXPECT_TRUE(get_json("/v2/models/nosuch/ready", 404)["error"].is_string());
}

TEST_F(OipV2, VersionedRoutesAnswerForVersionOneOnly) {
  const std::string v1 = "/v2/models/" + kName + "/versions/1";
  EXPECT_EQ(get_json(v1, 200)["name"], kName);
  EXPECT_EQ(get_json(v1 + "/ready", 200)["ready"], true);
  auto r = client().Post((v1 + "/infer").c_str(),
                         R"({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1],
                             "data": ["Stocks rally as the bank holds rates"]}]})",
                         "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["outputs"][1]["shape"], json({1}));
  const std::string v2 = "/v2/models/" + kName + "/versions/2";
  for (const std::string& path : {v2, v2 + "/ready"}) {
    EXPECT_NE(get_json(path, 404)["error"].get<std::string>().find("version '2'"),
              std::string::npos)
        << path;
  }
  expect_v2_error(client().Post((v2 + "/infer").c_str(), "{}", "application/json"), 404,
                  "version '2'");
  EXPECT_TRUE(get_json("/v2/models/nosuch/versions/1", 404)["error"].is_string());
}

TEST_F(OipV2, OpenApiDocumentListsEveryV2Route) {
  const json doc = get_json("/openapi.json", 200);
  for (const char* path :
       {"/v2/health/live", "/v2/health/ready", "/v2", "/v2/models", "/v2/models/{name}",
        "/v2/models/{name}/ready", "/v2/models/{name}/versions/{version}",
        "/v2/models/{name}/versions/{version}/ready"}) {
    ASSERT_TRUE(doc["paths"].contains(path)) << path;
    EXPECT_TRUE(doc["paths"][path].contains("get")) << path;
  }
  for (const char* path :
       {"/v2/models/{name}/infer", "/v2/models/{name}/versions/{version}/infer"}) {
    ASSERT_TRUE(doc["paths"].contains(path)) << path;
    const json& post = doc["paths"][path]["post"];
    EXPECT_EQ(post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
              "#/components/schemas/V2InferRequest");
    for (const char* status : {"200", "400", "404", "413"}) {
      EXPECT_TRUE(post["responses"].contains(status)) << path << " " << status;
    }
    EXPECT_EQ(post["responses"]["400"]["content"]["application/json"]["schema"]["$ref"],
              "#/components/schemas/V2Error");
  }
  // Every $ref points at a schema the document has.
  const json& schemas = doc["components"]["schemas"];
  EXPECT_EQ(schemas["V2Error"]["properties"]["error"]["type"], "string");
  EXPECT_EQ(schemas["V2RequestInput"]["properties"]["data"]["maxItems"], 4);  // max_texts
  std::vector<const json*> todo = {&doc};
  int refs = 0;
  while (!todo.empty()) {
    const json* j = todo.back();
    todo.pop_back();
    if (j->is_object() && j->contains("$ref")) {
      const std::string r = (*j)["$ref"].get<std::string>();
      ++refs;
      EXPECT_TRUE(schemas.contains(r.substr(r.rfind('/') + 1))) << r;
    }
    if (j->is_structured()) {
      for (const json& c : *j) todo.push_back(&c);
    }
  }
  EXPECT_GT(refs, 20);
}

TEST_F(OipV2, InferGivesProbabilitiesAndLabelsAsPredictDoes) {
  const std::vector<std::string> texts = {"Striker scores twice as United win the derby",
                                          "Oil prices fall on weaker demand in Asia"};
  auto r = infer(
      json{{"id", "req-7"},
           {"inputs", {{{"name", "text"}, {"datatype", "BYTES"}, {"shape", {2}}, {"data", texts}}}}}
          .dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json j = json::parse(r->body);
  EXPECT_EQ(j["model_name"], kName);
  EXPECT_EQ(j["id"], "req-7");
  ASSERT_EQ(j["outputs"].size(), 2u);
  const json& probs = j["outputs"][0];
  EXPECT_EQ(probs["name"], "probabilities");
  EXPECT_EQ(probs["datatype"], "FP32");
  EXPECT_EQ(probs["shape"], json({2, 4}));
  ASSERT_EQ(probs["data"].size(), 8u);
  const json& label = j["outputs"][1];
  EXPECT_EQ(label["name"], "label");
  EXPECT_EQ(label["datatype"], "BYTES");
  EXPECT_EQ(label["shape"], json({2}));
  const std::vector<std::string> names = {"World", "Sports", "Business", "Sci/Tech"};
  for (size_t i = 0; i < texts.size(); ++i) {
    auto one = client().Post("/predict", json{{"text", texts[i]}}.dump(), "application/json");
    ASSERT_TRUE(one);
    const json p = json::parse(one->body);
    EXPECT_EQ(label["data"][i], p["label"]);
    for (size_t k = 0; k < names.size(); ++k) {
      EXPECT_NEAR(probs["data"][i * 4 + k].get<double>(),
                  p["probabilities"][names[k]].get<double>(), 1e-5);
    }
  }
  // Only the outputs asked for; [n, 1] and nested data are the same texts.
  auto only = infer(R"({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1, 1],
                        "data": [["Tennis star withdraws with a wrist injury"]]}],
                        "outputs": [{"name": "label"}]})");
  ASSERT_TRUE(only);
  ASSERT_EQ(only->status, 200) << only->body;
  const json o = json::parse(only->body);
  ASSERT_EQ(o["outputs"].size(), 1u);
  EXPECT_EQ(o["outputs"][0]["name"], "label");
  auto same = client().Post("/predict", R"({"text": "Tennis star withdraws with a wrist injury"})",
                            "application/json");
  ASSERT_TRUE(same);
  EXPECT_EQ(o["outputs"][0]["data"][0], json::parse(same->body)["label"]);
}

TEST_F(OipV2, EveryBadInputGetsA4xxWithAnErrorString) {
  const auto body = [](const std::string& input) { return R"({"inputs": [)" + input + "]}"; };
  expect_v2_error(infer(body(R"({"name": "text", "datatype": "FP32", "shape": [1],
                                 "data": ["a b"]})")),
                  400, "datatype");
  expect_v2_error(infer(body(R"({"name": "text", "datatype": "BYTES", "shape": [2],
                                 "data": ["only one"]})")),
                  400, "shape");
  expect_v2_error(infer(body(R"({"name": "text", "datatype": "BYTES", "shape": [1],
                                 "data": ["a", "b"]})")),
                  400, "shape");
  expect_v2_error(infer(body(R"({"name": "txt", "datatype": "BYTES", "shape": [1],
                                 "data": ["a"]})")),
                  400, "unknown input 'txt'");
  expect_v2_error(infer(body(R"({"name": "text", "datatype": "BYTES", "shape": [1],
                                 "data": ["a"]})"),
                        "nosuch"),
                  404, "unknown model 'nosuch'");
  expect_v2_error(infer(body(R"({"name": "text", "datatype": "BYTES", "shape": [1],
                                 "data": [3]})")),
                  400, "strings");
  expect_v2_error(infer(body(R"({"name": "text", "datatype": "BYTES", "shape": [2, 2],
                                 "data": ["a", "b", "c", "d"]})")),
                  400, "[n, 1]");
  expect_v2_error(infer(body(R"({"name": "text", "datatype": "BYTES", "shape": [5],
                                 "data": ["a", "b", "c", "d", "e"]})")),
                  400, "at most 4");
  expect_v2_error(infer(body(R"({"name": "text", "datatype": "BYTES", "shape": [1],
                                 "data": [" "]})")),
                  400, "empty");
  expect_v2_error(infer(R"({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1],
                            "data": ["a"]}], "outputs": [{"name": "logits"}]})"),
                  400, "unknown output 'logits'");
  expect_v2_error(infer("{not json"), 400, "JSON");
  expect_v2_error(infer(R"({"inputs": []})"), 400, "inputs");
  expect_v2_error(client().Get(("/v2/models/" + kName + "/infer").c_str()), 405, "POST");
  expect_v2_error(client().Get("/v2/nosuch"), 404, "no route");
  // None of it hurt the server.
  auto ok = infer(body(R"({"name": "text", "datatype": "BYTES", "shape": [1],
                           "data": ["Stocks rally"]})"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
}

}  // namespace
}  // namespace bog::serve_test
