// One ONNX backend node-test case (a folder with model.onnx and test_data_set_*): finding
// cases, the tolerance ONNX's runner would use for it, and running it to a verdict.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "conformance/sandbox.h"
#include "conformance/value_compare.h"

namespace bog::conformance {

struct ConformanceCase {
  std::string name;  // folder name, e.g. "test_abs"
  std::filesystem::path dir;
};

struct CaseReport {
  std::string name;
  std::string status;  // "pass", "fail", "unsupported", "error"
  std::vector<std::string> op_types;
  int opset = -1;      // default-domain opset, -1 when not imported
  std::string reason;  // empty on pass
  double max_abs_diff = 0.0;
  double seconds = 0.0;
};

// Every subfolder of `dir` holding a model.onnx whose name matches `filter` (ECMAScript regex,
// searched anywhere in the name; empty = all), sorted by name; `dir` itself when it is a case.
std::vector<ConformanceCase> find_cases(const std::filesystem::path& dir,
                                        const std::string& filter);

// rtol/atol ONNX's runner uses for this case: defaults, a data.json in the case folder, and
// the per-test overrides of onnx/test/backend_reference_test.py.
Tolerance case_tolerance(const ConformanceCase& c);

// Runs the case in this process and writes its report to `fd` as JSON lines: first
// {"op_types","opset"}, then {"status","reason","max_abs_diff"}. Never throws.
void run_case_reporting(const ConformanceCase& c, const std::vector<std::string>& providers,
                        int fd) noexcept;

// The parent's verdict from what the child wrote and how it ended.
CaseReport parse_case_report(const ConformanceCase& c, const SandboxResult& result,
                             const SandboxLimits& limits);

}  // namespace bog::conformance
