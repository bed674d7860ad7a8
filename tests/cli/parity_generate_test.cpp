// `bog parity --generate` end to end on a tiny LM bundle trained in the test: it exports, passes
// on reference and cpu (and ONNX Runtime where installed), writes the report beside the ONNX
// file that `bog bench --generate` then accepts; a perturbed graph exits 6 naming the first
// divergence; every bad input is one error line and a non-zero exit.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/build_paths.h"
#include "tests/cli/cli_test_util.h"
#include "tests/common/tiny_lm.h"

namespace bog::cli_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

bool ort_installed() {
  const RunResult d = run_bog({"doctor", "--json"});
  const json j = json::parse(d.out, nullptr, false);
  return !j.is_discarded() && j.contains("onnxruntime_reference") &&
         j["onnxruntime_reference"].value("found", false);
}

class ParityGenerate : public test_data::TinyLmSuite {
 protected:
  // parity --generate on the test bundle and data, small sizes; `extra` flags win over these.
  static RunResult parity(std::vector<std::string> extra) {
    std::vector<std::string> args = {"parity",     "--bundle", bundle_.string(),
                                     "--generate", "--data",   data().string()};
    for (const auto& [flag, value] : {std::pair{"--prompts", "4"}, std::pair{"--prompt-len", "4"},
                                      std::pair{"--new-tokens", "6"}}) {
      if (std::find(extra.begin(), extra.end(), flag) == extra.end()) {
        args.push_back(flag);
        args.push_back(value);
      }
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return run_bog(args);
  }
  static fs::path data() { return *tmp_ / "data"; }
};

TEST_F(ParityGenerate, PassesWritesTheReportAndTheBenchAcceptsIt) {
  const std::string providers = ort_installed() ? "reference,cpu,ort" : "reference,cpu";
  const fs::path out = *tmp_ / "out";
  const RunResult r = parity({"--providers", providers, "--out", out.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("parity --generate: eager"), std::string::npos) << r.err;  // progress
  const json j = json::parse(r.out);
  EXPECT_TRUE(j["passed"].get<bool>());
  const fs::path onnx = out / "bundle" / "model.onnx";
  ASSERT_TRUE(fs::exists(onnx));
  ASSERT_TRUE(fs::exists(onnx.string() + ".parity.json"));
  EXPECT_EQ(json::parse(read_bytes(onnx.string() + ".parity.json"))["artifact_sha256"],
            j["artifact_sha256"]);
  const json& g = j["generate"];
  EXPECT_EQ(g["prompts"], 4);
  EXPECT_EQ(g["prompt_len"], 4);
  EXPECT_EQ(g["new_tokens"], 6);
  EXPECT_TRUE(g["tokens_identical"].get<bool>());
  for (const json& row : j["results"]) {
    const std::string p = row["provider_requested"];
    EXPECT_TRUE(row["passed"].get<bool>()) << row;
    const json& gp = g["providers"][p];
    EXPECT_LE(gp["max_abs_diff_prefill"].get<double>(), 1e-4) << p;
    EXPECT_LE(gp["max_abs_diff_decode"].get<double>(), 1e-4) << p;
    EXPECT_EQ(gp["steps_compared"], 4 * 5) << p;
    EXPECT_TRUE(gp["first_divergence"].is_null()) << p;
  }

  // The gate of `bog bench --generate` reads this report.
  const RunResult b =
      run_bog({"bench",        "--generate", "--onnx",       onnx.string(),
               "--backends",   "cpu",        "--batch",      "1",
               "--threads",    "1",          "--prompt-len", "4",
               "--new-tokens", "3",          "--warmup",     "0",
               "--iterations", "1",          "--out",        (*tmp_ / "bench").string(),
               "--json"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const json bj = json::parse(b.out);
  ASSERT_FALSE(bj["rows"].empty());
  for (const json& row : bj["rows"]) {
    EXPECT_EQ(row["parity_status"], "passed") << row;
    EXPECT_FALSE(row["decode_tokens_per_s"].is_null()) << row;
  }

  // --onnx: the same file, checked rather than exported again; the human table.
  const RunResult again = parity({"--providers", "cpu", "--onnx", onnx.string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("parity passed"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("identical"), std::string::npos) << again.out;
}

TEST_F(ParityGenerate, APerturbedGraphExitsSixNamingTheFirstDivergence) {
  const fs::path out = *tmp_ / "perturbed";
  fs::create_directories(out);
  const RunResult e =
      run_bog({"export", "--bundle", bundle_.string(), "--out", (out / "lm.onnx").string()});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  ASSERT_TRUE(
      test_data::write_negated_initializer(out / "lm.onnx", out / "bad.onnx", "final_norm"));
  const RunResult r =
      parity({"--providers", "reference,cpu", "--onnx", (out / "bad.onnx").string(), "--json"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  const std::string last = r.err.substr(r.err.rfind("error["));
  EXPECT_NE(last.find("first divergence on reference: prompt 0 step 0"), std::string::npos)
      << r.err;
  const json j = json::parse(r.out);
  EXPECT_FALSE(j["passed"].get<bool>());
  const json& d = j["generate"]["providers"]["cpu"]["first_divergence"];
  ASSERT_TRUE(d.is_object()) << j["generate"];
  EXPECT_EQ(d["prompt"], 0);
  EXPECT_EQ(d["step"], 0);
  EXPECT_NE(d["tokens"]["expected"], d["tokens"]["got"]);
  // The failed report is written too: the bench refuses to time this file.
  const json report = json::parse(read_bytes((out / "bad.onnx").string() + ".parity.json"));
  EXPECT_FALSE(report["passed"].get<bool>());
}

TEST_F(ParityGenerate, BadInputIsOneErrorLineAndANonZeroExit) {
  const std::string classifier = std::string(bog::source_dir()) + "/models/agnews-tiny-llama";
  const std::string torch =
      std::string(bog::source_dir()) + "/tests/fixtures/torch/llama_decoder.onnx";
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{"parity", "--bundle", classifier, "--generate", "--data", data().string()},
       "not a decoder LM"},
      {{"parity", "--bundle", bundle_.string(), "--generate", "--data",
        (*tmp_ / "nowhere").string()},
       "data directory"},
      {{"--prompts", "0"}, "--prompts"},
      {{"--new-tokens", "0"}, "--new-tokens"},
      {{"--prompt-len", "20"}, "context"},
      {{"--providers", "reference,npu"}, "unknown provider 'npu'"},
      {{"--onnx", torch}, "not an export of"},
      {{"parity", "--onnx", torch, "--generate"}, "--bundle"},
  };
  for (const Case& c : cases) {
    const bool full = c.args.front() == "parity";
    const RunResult r = full ? run_bog(c.args) : parity(c.args);
    SCOPED_TRACE(c.needle);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.exit_code, 6);  // bad input, not a parity verdict
    // Refused before any progress line: stderr is the error line alone.
    EXPECT_EQ(r.err.rfind("error[", 0), 0u) << r.err;
    EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace bog::cli_test
