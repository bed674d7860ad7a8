#include "conformance/conformance_case.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <new>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <system_error>

#include "common/error.h"
#include "conformance/model_proto_summary.h"
#include "conformance/test_data.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/session.h"

namespace bog::conformance {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string error_reason(const Error& e) {
  return fmt::format("[{}] {}", category_name(e.category()), e.what());
}

// The verdict part of a case run (everything after the label line).
json run_case(const ConformanceCase& c, const std::vector<std::string>& providers) {
  runtime::SessionOptions options;
  options.providers = providers;
  runtime::Session session(runtime::load_model(c.dir / "model.onnx"), options);
  const std::vector<runtime::ValueInfo> inputs = session.input_infos();
  const std::vector<runtime::ValueInfo> outputs = session.output_infos();
  const Tolerance tol = case_tolerance(c);
  double max_abs_diff = 0.0;
  for (const fs::path& dir : find_data_sets(c.dir)) {
    TestDataSet data = load_data_set(dir, inputs, outputs);
    if (data.expected.size() != outputs.size()) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("{} has {} output files but the model has {} outputs",
                              dir.filename().string(), data.expected.size(), outputs.size()));
    }
    std::map<std::string, runtime::Value> got = session.run(std::move(data.feeds));
    for (const auto& [name, expected] : data.expected) {
      const auto it = got.find(name);
      if (it == got.end()) {
        return {{"status", "fail"}, {"reason", fmt::format("output '{}' was not produced", name)}};
      }
      const CompareResult r = compare_values(it->second, expected, tol);
      max_abs_diff = std::max(max_abs_diff, r.max_abs_diff);
      if (!r.ok) {
        return {{"status", "fail"},
                {"max_abs_diff", r.max_abs_diff},
                {"reason", fmt::format("output '{}': {} (rtol {:g}, atol {:g})", name, r.reason,
                                       tol.rtol, tol.atol)}};
      }
    }
  }
  return {{"status", "pass"}, {"max_abs_diff", max_abs_diff}};
}

}  // namespace

std::vector<ConformanceCase> find_cases(const fs::path& dir, const std::string& filter) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("conformance folder '{}' does not exist", dir.string()));
  }
  std::regex re;
  try {
    re = std::regex(filter.empty() ? std::string(".*") : filter, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw Error(
        ErrorCategory::kInvalidArgument,
        fmt::format("--filter '{}' is not a valid regular expression: {}", filter, e.what()));
  }
  std::vector<ConformanceCase> cases;
  const auto consider = [&](const fs::path& p) {
    std::error_code ec2;
    // Canonical, so "case/." and "case/" are named after the folder.
    const std::string name = fs::weakly_canonical(p, ec2).filename().string();
    if (fs::is_regular_file(p / "model.onnx", ec2) && std::regex_search(name, re)) {
      cases.push_back({name, p});
    }
  };
  if (fs::is_regular_file(dir / "model.onnx", ec)) {
    consider(dir);
    return cases;
  }
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec)) consider(entry.path());
  }
  if (ec)
    throw Error(ErrorCategory::kIo,
                fmt::format("cannot list '{}': {}", dir.string(), ec.message()));
  std::sort(cases.begin(), cases.end(),
            [](const ConformanceCase& a, const ConformanceCase& b) { return a.name < b.name; });
  return cases;
}

Tolerance case_tolerance(const ConformanceCase& c) {
  Tolerance tol;
  // onnx/test/backend_reference_test.py passes these to its own reference backend (Linux).
  static const std::map<std::string, Tolerance> kOverrides = {
      {"test_dft", {1e-3, 1e-6}},
      {"test_dft_axis", {1e-3, 1e-6}},
      {"test_dft_axis_opset19", {1e-3, 1e-6}},
      {"test_dft_inverse", {1e-3, 1e-6}},
      {"test_dft_inverse_opset19", {1e-3, 1e-6}},
      {"test_dft_opset19", {1e-3, 1e-6}},
      {"test_celu_bfloat16_expanded", {1e-2, 1e-2}},
  };
  if (const auto it = kOverrides.find(c.name); it != kOverrides.end()) tol = it->second;
  // A data.json beside the model overrides, as in onnx/backend/test/loader.
  std::ifstream in(c.dir / "data.json");
  if (in) {
    const json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) {
      if (j.contains("rtol") && j["rtol"].is_number()) tol.rtol = j["rtol"].get<double>();
      if (j.contains("atol") && j["atol"].is_number()) tol.atol = j["atol"].get<double>();
    }
  }
  return tol;
}

void run_case_reporting(const ConformanceCase& c, const std::vector<std::string>& providers,
                        int fd) noexcept {
  try {
    const ProtoSummary summary = summarize_model_file(c.dir / "model.onnx");
    write_all(fd, json{{"op_types", summary.op_types}, {"opset", summary.opset}}.dump() + "\n");
    json verdict;
    try {
      verdict = run_case(c, providers);
    } catch (const Error& e) {
      verdict = {{"status", e.category() == ErrorCategory::kUnsupported ? "unsupported" : "error"},
                 {"reason", error_reason(e)}};
    } catch (const std::bad_alloc&) {
      verdict = {{"status", "error"}, {"reason", "out of memory"}};
    } catch (const std::exception& e) {
      verdict = {{"status", "error"}, {"reason", fmt::format("[internal] {}", e.what())}};
    }
    write_all(fd, verdict.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
  } catch (...) {
    // Nothing useful left to say; the parent reports the missing verdict.
  }
}

CaseReport parse_case_report(const ConformanceCase& c, const SandboxResult& result,
                             const SandboxLimits& limits) {
  CaseReport report;
  report.name = c.name;
  report.seconds = result.seconds;
  std::istringstream lines(result.output);
  std::string line;
  bool have_verdict = false;
  while (std::getline(lines, line)) {
    const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) continue;
    if (j.contains("op_types")) {
      report.op_types = j["op_types"].get<std::vector<std::string>>();
      report.opset = j.value("opset", -1);
    }
    if (j.contains("status")) {
      have_verdict = true;
      report.status = j["status"].get<std::string>();
      report.reason = j.value("reason", "");
      report.max_abs_diff = j.value("max_abs_diff", 0.0);
    }
  }
  if (!have_verdict || result.timed_out || result.signal != 0) {
    report.status = "error";
    report.reason = describe_abnormal_end(result, limits);
  }
  return report;
}

}  // namespace bog::conformance
