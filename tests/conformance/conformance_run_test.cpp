// The sandboxed node-test runner and its report (conformance/sandbox.h, conformance_case.h,
// conformance_run.h, conformance_report.h), called as a library.
#include "conformance/conformance_run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <map>

#include "common/error.h"
#include "conformance/conformance_report.h"
#include "tests/cli/cli_test_util.h"

namespace bog::conformance {
namespace {

namespace fs = std::filesystem;
using cli_test::TempDir;

TEST(Sandbox, ACrashOrAHangIsTheTasksResultNotTheCallers) {
  SandboxLimits limits;
  limits.timeout_s = 1.0;
  std::map<size_t, SandboxResult> results;
  run_sandboxed(
      3, 3, limits,
      [](size_t i, int fd) {
        if (i == 0) (void)write_all(fd, "report");
        if (i == 1) std::abort();
        if (i == 2) pause();  // until killed
      },
      [&](size_t i, SandboxResult r) { results[i] = std::move(r); });
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].output, "report");
  EXPECT_EQ(results[0].exit_code, 0);
  EXPECT_EQ(results[1].signal, SIGABRT);
  EXPECT_NE(describe_abnormal_end(results[1], limits).find("signal 6"), std::string::npos);
  EXPECT_TRUE(results[2].timed_out);
  EXPECT_EQ(describe_abnormal_end(results[2], limits), "timed out after 1 s");
}

// The verdicts of the CLI's ConformanceGivesEachCaseAVerdict, from the library.
TEST(ConformanceRun, GivesEachCaseAVerdict) {
  const TempDir tmp;
  cli_test::make_suite(tmp.path());
  const std::vector<ConformanceCase> cases = find_cases(tmp.path(), "");
  ASSERT_EQ(cases.size(), 4u);
  EXPECT_EQ(cases[0].name, "test_broken_data");  // sorted by name
  size_t calls = 0;
  const ConformanceRun run =
      run_cases(cases, {"reference"}, 2, SandboxLimits{}, [&](const Totals&, size_t n) {
        EXPECT_EQ(n, 4u);
        ++calls;
      });
  EXPECT_EQ(calls, 4u);
  EXPECT_EQ(run.totals.total, 4);
  EXPECT_EQ(run.totals.passed, 1);
  std::map<std::string, CaseReport> by_name;
  for (const CaseReport& r : run.reports) by_name[r.name] = r;
  EXPECT_EQ(by_name["test_good"].status, "pass");
  EXPECT_EQ(by_name["test_good"].op_types, std::vector<std::string>{"Add"});
  EXPECT_EQ(by_name["test_good"].opset, 17);
  EXPECT_EQ(by_name["test_wrong"].status, "fail");
  EXPECT_NEAR(by_name["test_wrong"].max_abs_diff, 1.0, 1e-6);
  EXPECT_EQ(by_name["test_unknown_op"].status, "unsupported");
  EXPECT_EQ(by_name["test_broken_data"].status, "error");
  EXPECT_EQ(find_cases(tmp.path(), "good|wrong").size(), 2u);
  EXPECT_THROW((void)find_cases(tmp.path(), "(("), Error);
}

CaseReport report(const std::string& name, const std::string& status,
                  std::vector<std::string> ops = {}, const std::string& reason = "") {
  CaseReport r;
  r.name = name;
  r.status = status;
  r.op_types = std::move(ops);
  r.reason = reason;
  return r;
}

TEST(ConformanceReport, ExpandedCasesCountUnderTheOpTheyTest) {
  EXPECT_EQ(base_case_name("test_softmax_axis_0_expanded_ver18"), "test_softmax_axis_0");
  EXPECT_EQ(base_case_name("test_softmax_axis_0_expanded"), "test_softmax_axis_0");
  const std::vector<CaseReport> reports = {
      report("test_softmax_axis_0", "pass", {"Softmax"}),
      report("test_softmax_axis_0_expanded", "fail", {"ReduceMax", "Sub", "Exp"}),
      report("test_lonely_expanded", "pass", {"Exp"}), report("test_empty", "error")};
  const auto ops = primary_ops(reports);
  EXPECT_EQ(ops.at("test_softmax_axis_0_expanded"), "Softmax");
  EXPECT_EQ(ops.at("test_lonely_expanded"), "Exp");
  EXPECT_EQ(ops.at("test_empty"), "(unknown)");
  const auto by_op = totals_by_op(reports);
  EXPECT_EQ(by_op.at("Softmax").total, 2);
  EXPECT_EQ(by_op.at("Softmax").failed, 1);
}

TEST(ConformanceReport, UnsupportedReasonsMostFrequentFirst) {
  const auto sorted = unsupported_reasons(
      {report("a", "unsupported", {}, "op X"), report("b", "unsupported", {}, "op Y"),
       report("c", "unsupported", {}, "op Y"), report("d", "pass")});
  ASSERT_EQ(sorted.size(), 2u);
  EXPECT_EQ(sorted[0], (std::pair<int, std::string>{2, "op Y"}));
  EXPECT_EQ(sorted[1], (std::pair<int, std::string>{1, "op X"}));
}

TEST(ConformanceReport, ExpectedListNamesRegressionsAndNewPasses) {
  const TempDir tmp;
  cli_test::write_bytes(tmp / "list.txt", "# comment\n  test_a  \n\ntest_b # note\ntest_gone\n");
  const std::vector<std::string> expected = read_expected((tmp / "list.txt").string());
  EXPECT_EQ(expected, (std::vector<std::string>{"test_a", "test_b", "test_gone"}));
  EXPECT_THROW((void)read_expected((tmp / "none.txt").string()), Error);
  const std::vector<CaseReport> reports = {
      report("test_a", "pass"), report("test_b", "fail", {}, "wrong"), report("test_new", "pass")};
  const ExpectedCheck all = check_expected(expected, reports, /*filtered=*/false, "DIR");
  EXPECT_EQ(all.expected, 3u);
  EXPECT_EQ(all.regressions,
            (std::vector<std::string>{"test_b (fail: wrong)", "test_gone (not found in DIR)"}));
  EXPECT_EQ(all.new_passes, std::vector<std::string>{"test_new"});
  // A filtered run did not select test_gone: not a regression.
  EXPECT_EQ(check_expected(expected, reports, /*filtered=*/true, "DIR").regressions.size(), 1u);
}

TEST(ConformanceReport, JsonCarriesTotalsBandsAndCases) {
  std::vector<CaseReport> reports = {report("test_a", "pass", {"Add"}),
                                     report("test_b", "fail", {"Mul"})};
  reports[0].opset = 13;
  reports[1].opset = 21;
  reports[1].max_abs_diff = 0.5;
  Totals t;
  for (const CaseReport& r : reports) t.add(r.status);
  const nlohmann::json j = report_json(reports, t, 1.5);
  EXPECT_EQ(j["total"], 2);
  EXPECT_EQ(j["passed"], 1);
  EXPECT_EQ(j["failed"], 1);
  EXPECT_EQ(j["seconds"], 1.5);
  EXPECT_EQ(j["opset_bands"]["opset<=17"]["passed"], 1);
  EXPECT_EQ(j["opset_bands"]["opset>17"]["total"], 1);
  EXPECT_FALSE(j["cases"][0].contains("max_abs_diff"));
  EXPECT_EQ(j["cases"][1]["max_abs_diff"], 0.5);
}

}  // namespace
}  // namespace bog::conformance
