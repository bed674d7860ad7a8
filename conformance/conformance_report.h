// What a `bog conformance` run adds up to: totals per status, the op each case tests, the JSON
// report (its fields are a contract CI reads), and the check against a list of cases expected
// to pass.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "conformance/conformance_case.h"

namespace bog::conformance {

struct Totals {
  int total = 0, passed = 0, failed = 0, unsupported = 0, error = 0;
  void add(const std::string& status);
};

// "test_softmax_axis_0_expanded_ver18" -> "test_softmax_axis_0".
std::string base_case_name(const std::string& name);

// The op a case tests, by case name: the first op of its non-expanded twin (expanded cases
// hold the function body's ops), else its own first op, else "(unknown)".
std::map<std::string, std::string> primary_ops(const std::vector<CaseReport>& reports);

// Totals per primary op, by op name.
std::map<std::string, Totals> totals_by_op(const std::vector<CaseReport>& reports);

// The reasons of unsupported cases with their counts, most frequent first (ties by reason).
std::vector<std::pair<int, std::string>> unsupported_reasons(
    const std::vector<CaseReport>& reports);

// {"total","passed","failed","unsupported","error","seconds","opset_bands":{band:{"total",
//  "passed"}},"cases":[{"name","status","op_types","opset","reason","max_abs_diff"(fail only)}]}
nlohmann::json report_json(const std::vector<CaseReport>& reports, const Totals& totals,
                           double seconds);

// Case names, one a line; '#' starts a comment, blank lines are skipped.
// Error(kIo) when the file cannot be read.
std::vector<std::string> read_expected(const std::string& path);

struct ExpectedCheck {
  size_t expected = 0;                   // names in the list
  std::vector<std::string> regressions;  // "NAME (status: reason)" or "NAME (not found in DIR)"
  std::vector<std::string> new_passes;   // passing cases the list does not name
};

// A listed case that does not pass is a regression; one that was not run is one only when
// the run was not filtered (`filtered` false), as then it has gone missing from `dir`.
ExpectedCheck check_expected(const std::vector<std::string>& expected,
                             const std::vector<CaseReport>& reports, bool filtered,
                             const std::string& dir);

}  // namespace bog::conformance
