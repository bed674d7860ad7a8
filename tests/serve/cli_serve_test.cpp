// `bog serve` and `bog loadtest` as a user runs them: child processes, environment overrides,
// SIGTERM with a request in flight. (`bog export --triton-repo`: triton_export_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/build_paths.h"
#include "tests/cli/cli_test_util.h"
#include "tests/serve/serve_test_util.h"

namespace bog::serve_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string bog_exe() {
  const char* exe = std::getenv("BOG_EXE");
  return exe == nullptr ? "" : exe;
}

// Reads `bog serve` output until "listening on http://127.0.0.1:PORT"; returns PORT or -1.
int wait_for_port(Child& child, std::string& log) {
  for (int i = 0; i < 50; ++i) {
    const std::string line = child.read_line(120);
    log += line + "\n";
    const size_t at = line.find("listening on http://127.0.0.1:");
    if (at != std::string::npos) return std::stoi(line.substr(at + 30));
    if (line.empty()) return -1;
  }
  return -1;
}

bool wait_for_line(Child& child, const std::string& needle, std::string& log) {
  for (int i = 0; i < 50; ++i) {
    const std::string line = child.read_line(120);
    log += line + "\n";
    if (line.find(needle) != std::string::npos) return true;
    if (line.empty()) return false;
  }
  return false;
}

TEST(ServeCli, EnvironmentOverridesAndGracefulShutdownWithARequestInFlight) {
  ASSERT_FALSE(bog_exe().empty()) << "BOG_EXE is not set (run through ctest)";
  const cli_test::TempDir dir;
  // A long max_wait keeps the request queued when SIGTERM arrives.
  cli_test::write_bytes(dir / "serving.yaml",
                        "max_wait_ms: 1500\nmax_batch: 64\nprovider: reference\n");
  Child child(bog_exe(), {"serve", "--config", (dir / "serving.yaml").string()},
              {"BOG_BUNDLE_DIR=" + bundle_dir().string(), "BOG_SERVE_PORT=0",
               "BOG_SERVE_HOST=127.0.0.1", "BOG_SERVE_PROVIDER=cpu"});
  std::string log;
  const int port = wait_for_port(child, log);
  ASSERT_GT(port, 0) << log;
  ASSERT_TRUE(wait_for_line(child, "ready", log)) << log;
  httplib::Client client("127.0.0.1", port);
  auto meta = client.Get("/metadata");
  ASSERT_TRUE(meta);
  EXPECT_EQ(json::parse(meta->body)["provider"]["requested"], "cpu") << "env beats the file";

  auto in_flight = std::async(std::launch::async, [port] {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(60);
    return c.Post("/predict", R"({"text": "Striker scores twice in the derby"})",
                  "application/json");
  });
  for (int i = 0; i < 5000; ++i) {
    auto m = client.Get("/metrics");
    if (m && m->body.find("bog_queue_depth 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  child.signal(SIGTERM);
  const auto r = in_flight.get();
  ASSERT_TRUE(r) << "the in-flight request was dropped";
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["label"], "Sports");
  log += child.read_all(60);
  EXPECT_EQ(child.wait(), 0) << log;
  EXPECT_NE(log.find("SIGTERM received"), std::string::npos) << log;
}

TEST(ServeCli, SigintAlsoExitsZero) {
  Child child(bog_exe(), {"serve", "--bundle", bundle_dir().string(), "--port", "0"});
  std::string log;
  ASSERT_GT(wait_for_port(child, log), 0) << log;
  ASSERT_TRUE(wait_for_line(child, "ready", log)) << log;
  child.signal(SIGINT);
  log += child.read_all(60);
  EXPECT_EQ(child.wait(), 0) << log;
}

TEST(ServeCli, BadSettingsExitWithOneErrorLine) {
  const cli_test::TempDir dir;
  cli_test::write_bytes(dir / "bad.yaml", "max_batch: lots\n");
  struct Case {
    std::vector<std::string> args;
    int code;
  };
  const std::vector<Case> cases = {
      {{"serve", "--bundle", bundle_dir().string(), "--provider", "tpu", "--port", "0"}, 2},
      {{"serve", "--bundle", bundle_dir().string(), "--config", (dir / "bad.yaml").string()}, 2},
      {{"serve", "--bundle", bundle_dir().string(), "--config", (dir / "none.yaml").string()}, 4},
      {{"serve", "--bundle", (dir / "nosuch").string(), "--port", "0"}, -1},  // io or invalid_model
      {{"serve", "--bundle", bundle_dir().string(), "--port", "0", "--onnx",
        (dir / "none.onnx").string()},
       4},
      {{"serve", "--bundle", bundle_dir().string(), "--batching", "maybe"}, 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args.back());
    const cli_test::RunResult r = cli_test::run_bog(c.args);
    if (c.code == -1) {
      EXPECT_TRUE(r.exit_code == 3 || r.exit_code == 4) << r.exit_code << r.err;
    } else {
      EXPECT_EQ(r.exit_code, c.code) << r.out << r.err;
    }
    EXPECT_EQ(r.err.rfind("error[", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST(ServeCli, OnnxFromAnotherBundleIsRefused) {
  const cli_test::TempDir dir;
  const fs::path other = fs::path(bog::source_dir()) / "models" / "agnews-modern";
  ASSERT_EQ(cli_test::run_bog(
                {"export", "--bundle", other.string(), "--out", (dir / "other.onnx").string()})
                .exit_code,
            0);
  const cli_test::RunResult r =
      cli_test::run_bog({"serve", "--bundle", bundle_dir().string(), "--port", "0", "--onnx",
                         (dir / "other.onnx").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("exported from bundle"), std::string::npos) << r.err;
}

TEST(LoadtestCli, ReportsRequestsLatencyAndBatchesWithoutFailures) {
  RunningServer s = start_server(test_config());
  const cli_test::TempDir dir;
  const cli_test::RunResult r =
      cli_test::run_bog({"loadtest", "--port", std::to_string(s.port), "--connections", "8",
                         "--duration", "1", "--json", "--out", (dir / "load.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_GT(j["ok"].get<int>(), 0);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["requests"].get<int>(), j["ok"].get<int>() + j["rejected_503"].get<int>());
  EXPECT_GE(j["latency_ms"]["p99"].get<double>(), j["latency_ms"]["p50"].get<double>());
  EXPECT_GT(j["batches"]["count"].get<int>(), 0);
  EXPECT_EQ(j["batches"]["texts"].get<double>(), j["ok"].get<double>())
      << "every answered text went through exactly one batch";
  EXPECT_EQ(json::parse(cli_test::read_bytes(dir / "load.json"))["ok"], j["ok"]);
  const cli_test::RunResult down =
      cli_test::run_bog({"loadtest", "--port", "1", "--duration", "1"});
  EXPECT_EQ(down.exit_code, 4) << down.err;
}

// --data posts articles of an AG News test.csv (title + description) instead of the headlines.
TEST(LoadtestCli, PostsTheArticlesOfATestCsv) {
  RunningServer s = start_server(test_config());
  const cli_test::TempDir dir;
  {
    std::ofstream csv(dir / "test.csv");
    csv << "\"3\",\"Stocks rally\",\"Shares rose as the central bank held rates.\"\n"
           "\"2\",\"\",\"The striker scored twice in the derby.\"\n";
  }
  const cli_test::RunResult r =
      cli_test::run_bog({"loadtest", "--port", std::to_string(s.port), "--connections", "2",
                         "--duration", "0.5", "--json", "--data", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_GT(j["ok"].get<int>(), 0);
  EXPECT_EQ(j["failed"], 0);
  // No test.csv there, or both sources at once: one clear error, nothing sent.
  const cli_test::RunResult missing = cli_test::run_bog(
      {"loadtest", "--port", std::to_string(s.port), "--data", (dir / "nowhere").string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("test.csv"), std::string::npos) << missing.err;
  const cli_test::RunResult both = cli_test::run_bog(
      {"loadtest", "--data", dir.path().string(), "--texts", (dir / "test.csv").string()});
  EXPECT_EQ(both.exit_code, 2) << both.err;
}

TEST(ServeCli, AnOnnxDecoderWithATokenizerServesGenerationThatLoadtestGenerateMeasures) {
  ASSERT_FALSE(bog_exe().empty()) << "BOG_EXE is not set (run through ctest)";
  const std::string tokenizer = (lm_bundle_dir() / "tokenizer.model").string();
  // configs/serving.yaml names a classifier's bundle: with --tokenizer it does not count.
  Child child(bog_exe(), {"serve", "--onnx", exported_lm_onnx().string(), "--tokenizer", tokenizer,
                          "--port", "0"});
  std::string log;
  const int port = wait_for_port(child, log);
  ASSERT_GT(port, 0) << log;
  ASSERT_TRUE(wait_for_line(child, "/v1/completions", log)) << log;
  EXPECT_NE(log.find("continuous"), std::string::npos) << log;
  const cli_test::RunResult r =
      cli_test::run_bog({"loadtest", "--generate", "--port", std::to_string(port), "--concurrency",
                         "2", "--duration", "1", "--max-tokens", "8", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  for (const char* k : {"tokens_per_s", "requests_per_s", "ttft_ms_p50", "ttft_ms_p99",
                        "itl_ms_p50", "itl_ms_p99", "failed"})
    EXPECT_TRUE(j.contains(k) && j[k].is_number()) << k << ": " << r.out;
  EXPECT_EQ(j["failed"], 0);
  EXPECT_GE(j["ok"].get<int>(), 2);
  EXPECT_EQ(j["tokens"], 8 * j["ok"].get<int>()) << "ignore_eos: every request makes 8";
  EXPECT_GT(j["tokens_per_s"].get<double>(), 0);
  child.signal(SIGTERM);
  EXPECT_EQ(child.wait(), 0);
  // With the server gone loadtest --generate fails (it cannot reach it); a tokenizer needs a
  // decoder.
  const cli_test::RunResult none = cli_test::run_bog(
      {"loadtest", "--generate", "--port", std::to_string(port), "--duration", "1"});
  EXPECT_NE(none.exit_code, 0);
  const Output bad = run_program(bog_exe(), {"serve", "--tokenizer", tokenizer, "--port", "0"}, 60);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.text.find("--tokenizer goes with --onnx"), std::string::npos) << bad.text;
}

}  // namespace
}  // namespace bog::serve_test
