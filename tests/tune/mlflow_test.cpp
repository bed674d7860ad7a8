// The MLflow REST requests, checked by a loopback cpp-httplib server against the schema of
// MLflow's REST API 2.0 docs (runs/create, runs/log-batch, runs/update), and the local record
// surviving a server that is down.
#include <gtest/gtest.h>

#include "common/atomic_file.h"
#include "tests/cli/cli_test_util.h"
#include "tune/mlflow_client.h"
#include "tune/run_tracker.h"

#ifdef BOG_HAVE_HTTPLIB
#include <httplib.h>
#endif

#include <mutex>
#include <thread>

namespace bog::tune {
namespace {

using nlohmann::json;

// Empty when `body` fits the schema; otherwise what is wrong.
std::string check_fields(const json& body, const std::map<std::string, std::string>& required,
                         const std::map<std::string, std::string>& optional) {
  auto type_ok = [](const json& v, const std::string& t) {
    if (t == "string") return v.is_string();
    if (t == "int64") return v.is_number_integer();
    if (t == "double") return v.is_number();
    if (t == "array") return v.is_array();
    return false;
  };
  if (!body.is_object()) return "not an object";
  for (const auto& [k, t] : required) {
    if (!body.contains(k)) return "missing " + k;
  }
  for (const auto& [k, v] : body.items()) {
    auto it = required.find(k);
    if (it == required.end()) it = optional.find(k);
    if (it == optional.end()) return "unknown field " + k;
    if (!type_ok(v, it->second)) return k + " is not " + it->second;
  }
  return "";
}

std::string check_key_values(const json& list) {
  for (const auto& kv : list) {
    if (auto e = check_fields(kv, {{"key", "string"}, {"value", "string"}}, {}); !e.empty())
      return e;
  }
  return "";
}

// MLflow REST API 2.0: CreateRun, LogBatch, UpdateRun request messages.
std::string check_request(const std::string& endpoint, const json& body) {
  if (endpoint == "runs/create") {
    auto e = check_fields(body, {},
                          {{"experiment_id", "string"},
                           {"user_id", "string"},
                           {"run_name", "string"},
                           {"start_time", "int64"},
                           {"tags", "array"}});
    return e.empty() ? check_key_values(body.value("tags", json::array())) : e;
  }
  if (endpoint == "runs/log-batch") {
    auto e = check_fields(body, {{"run_id", "string"}},
                          {{"metrics", "array"}, {"params", "array"}, {"tags", "array"}});
    if (!e.empty()) return e;
    // value(), not operator[]: on a const json a missing key is undefined behaviour.
    const json metrics = body.value("metrics", json::array());
    const json params = body.value("params", json::array());
    if (metrics.size() > 1000 || params.size() > 100) return "batch too large";
    for (const auto& m : metrics) {
      e = check_fields(m, {{"key", "string"}, {"value", "double"}, {"timestamp", "int64"}},
                       {{"step", "int64"}});
      if (!e.empty()) return "metric: " + e;
    }
    e = check_key_values(params);
    return e.empty() ? check_key_values(body.value("tags", json::array())) : e;
  }
  if (endpoint == "runs/update") {
    auto e = check_fields(body, {{"run_id", "string"}},
                          {{"status", "string"}, {"end_time", "int64"}, {"run_name", "string"}});
    if (!e.empty()) return e;
    static const std::set<std::string> kStatus = {"RUNNING", "SCHEDULED", "FINISHED", "FAILED",
                                                  "KILLED"};
    return kStatus.count(body.value("status", "")) ? "" : "bad status";
  }
  return "unknown endpoint";
}

TEST(MlflowBodies, FollowTheRestSchema) {
  EXPECT_EQ(
      check_request("runs/create", mlflow_create_run_body("0", "r", 1700000000000, {{"a", "b"}})),
      "");
  EXPECT_EQ(check_request("runs/log-batch",
                          mlflow_log_batch_body("id", {{"valid.accuracy", 0.9, 1700000000000, 2}},
                                                {{"train.lr", "0.002"}}, {})),
            "");
  EXPECT_EQ(check_request("runs/update", mlflow_update_run_body("id", "FINISHED", 1)), "");
  // The checker itself rejects what MLflow would.
  EXPECT_NE(check_request("runs/update", {{"run_id", "x"}, {"status", "DONE"}}), "");
  EXPECT_NE(check_request("runs/log-batch", {{"run_id", "x"}, {"metrics", {{{"key", "a"}}}}}), "");
}

struct Received {
  std::string endpoint;
  json body;
  std::string problem;
};

// Without cpp-httplib (see tests/CMakeLists.txt) the test still exists and reports a skip with
// the reason instead of vanishing from the run.
TEST(MlflowClient, SendsSchemaValidRequestsForATrackedRun) {
#ifndef BOG_HAVE_HTTPLIB
  GTEST_SKIP() << "cpp-httplib not found at configure time: this test runs a loopback "
                  "cpp-httplib server standing in for MLflow (Debian: libcpp-httplib-dev)";
#else
  httplib::Server server;
  std::mutex mu;
  std::vector<Received> received;
  server.Post(
      R"(/api/2\.0/mlflow/(runs/create|runs/log-batch|runs/update))",
      [&](const httplib::Request& req, httplib::Response& res) {
        const std::string endpoint = req.matches[1];
        const json body = json::parse(req.body, nullptr, false);
        std::string problem = check_request(endpoint, body);
        if (req.get_header_value("Content-Type") != "application/json") problem = "content type";
        {
          std::lock_guard<std::mutex> lock(mu);
          received.push_back({endpoint, body, problem});
        }
        if (!problem.empty()) {
          res.status = 400;
          res.set_content(
              json({{"error_code", "INVALID_PARAMETER_VALUE"}, {"message", problem}}).dump(),
              "application/json");
          return;
        }
        json answer = json::object();
        if (endpoint == "runs/create") {
          answer = {{"run", {{"info", {{"run_id", "abc123"}, {"status", "RUNNING"}}}}}};
        }
        res.set_content(answer.dump(), "application/json");
      });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread thread([&] { server.listen_after_bind(); });

  cli_test::TempDir dir;
  {
    RunStart start;
    start.name = "trial-0";
    start.kind = "trial";
    start.params = {{"train", {{"lr", 0.002}, {"epochs", 3}}}, {"model", {{"mlp", "gelu"}}}};
    start.mlflow_uri = "http://127.0.0.1:" + std::to_string(port);
    RunTracker tracker(dir.path(), start);
    tracker.log_epoch(1, {{"valid", {{"accuracy", 0.5}, {"nll", 1.2}}}});
    tracker.log_epoch(2, {{"valid", {{"accuracy", 0.7}, {"nll", 0.9}}}});
    tracker.finish("FINISHED", {{"best_valid_accuracy", 0.7}}, {"metrics.jsonl"});
  }
  server.stop();
  thread.join();

  ASSERT_GE(received.size(), 5u);
  for (const auto& r : received) EXPECT_EQ(r.problem, "") << r.endpoint << ": " << r.body.dump();
  EXPECT_EQ(received.front().endpoint, "runs/create");
  EXPECT_EQ(received.back().endpoint, "runs/update");
  EXPECT_EQ(received.back().body["status"], "FINISHED");
  EXPECT_EQ(received.back().body["run_id"], "abc123");
  std::set<std::string> params;
  int accuracy_points = 0;
  for (const auto& r : received) {
    if (r.endpoint != "runs/log-batch") continue;
    EXPECT_EQ(r.body["run_id"], "abc123");
    for (const auto& p : r.body["params"]) params.insert(p["key"].get<std::string>());
    for (const auto& m : r.body["metrics"]) {
      if (m["key"] == "valid.accuracy") ++accuracy_points;
    }
  }
  EXPECT_EQ(params, (std::set<std::string>{"train.lr", "train.epochs", "model.mlp"}));
  EXPECT_EQ(accuracy_points, 2);
  // The local record has the same run.
  const json local = json::parse(read_file(dir.path() / "run.json"));
  EXPECT_EQ(local["status"], "FINISHED");
  EXPECT_EQ(local["metrics"].size(), 4u);
#endif
}

TEST(RunTracker, KeepsTheLocalRecordWhenTheServerIsDown) {
  cli_test::TempDir dir;
  {
    RunStart start;
    start.name = "r";
    start.params = {{"train", {{"lr", 0.01}}}};
    start.mlflow_uri = "http://127.0.0.1:9";  // discard port: nothing listens
    RunTracker tracker(dir.path(), start);
    tracker.log_epoch(1, {{"valid", {{"accuracy", 0.5}}}});
    tracker.finish("FINISHED", {{"best_valid_accuracy", 0.5}}, {});
  }
  const json local = json::parse(read_file(dir.path() / "run.json"));
  EXPECT_EQ(local["status"], "FINISHED");
  EXPECT_EQ(local["params"]["train.lr"], 0.01);
  EXPECT_EQ(local["metrics"].size(), 1u);
}

}  // namespace
}  // namespace bog::tune
