// `bog conformance DIR`: runs ONNX's backend node tests, each case in its own child process,
// and reports pass / fail / unsupported / error per case, per op type and in total.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "conformance/conformance_case.h"
#include "conformance/conformance_report.h"
#include "conformance/conformance_run.h"

namespace bog::cli {
namespace {

namespace fs = std::filesystem;
using conformance::CaseReport;
using conformance::ConformanceCase;
using conformance::ConformanceRun;
using conformance::ExpectedCheck;
using conformance::SandboxLimits;
using conformance::Totals;
using nlohmann::json;

struct Options {
  std::string dir;
  std::string filter;
  std::vector<std::string> providers = {"reference"};
  bool json = false;
  bool verbose = false;
  std::string report;
  std::string expected;
  int jobs = 0;
  double timeout_s = 20.0;
  size_t memory_mb = 4096;
};

// Shows progress on stderr: a bar redrawn in place on a terminal, else a line every 10%.
class Progress {
 public:
  explicit Progress(size_t total) : total_(total), tty_(isatty(STDERR_FILENO) != 0) {}
  void update(const Totals& t) {
    const size_t done = static_cast<size_t>(t.total);
    if (tty_) {
      const size_t width = 30;
      const size_t filled = total_ == 0 ? width : done * width / total_;
      std::cerr << fmt::format("\r[{}{}] {}/{}  pass {}  unsupported {}  wrong {}  errors {} ",
                               std::string(filled, '#'), std::string(width - filled, '.'), done,
                               total_, t.passed, t.unsupported, t.failed, t.error)
                << std::flush;
      if (done == total_) std::cerr << "\n";
      return;
    }
    const size_t step = std::max<size_t>(1, total_ / 10);
    if (done % step == 0 || done == total_) {
      std::cerr << fmt::format("conformance: {}/{} cases done, {} pass\n", done, total_, t.passed);
    }
  }

 private:
  size_t total_;
  bool tty_;
};

void print_summary(const std::vector<CaseReport>& reports, const Totals& t, bool verbose) {
  std::vector<const CaseReport*> bad;
  for (const CaseReport& r : reports) {
    if (r.status == "fail" || r.status == "error") bad.push_back(&r);
    if (verbose && r.status == "pass") std::cout << fmt::format("pass         {}\n", r.name);
  }
  if (!bad.empty()) {
    std::cout << "wrong results and errors:\n";
    for (const CaseReport* r : bad) {
      std::cout << fmt::format("  {:<6} {}: {}\n", r->status == "fail" ? "wrong" : "error", r->name,
                               r->reason);
    }
  }
  const std::vector<std::pair<int, std::string>> sorted = conformance::unsupported_reasons(reports);
  if (!sorted.empty()) {
    std::cout << "unsupported, by reason:\n";
    const size_t shown = verbose ? sorted.size() : std::min<size_t>(sorted.size(), 15);
    for (size_t i = 0; i < shown; ++i) {
      std::cout << fmt::format("  {:>4}  {}\n", sorted[i].first, sorted[i].second);
    }
    if (shown < sorted.size()) {
      std::cout << fmt::format("  ... {} more reasons (--verbose lists all)\n",
                               sorted.size() - shown);
    }
  }
  const std::map<std::string, Totals> by_op = conformance::totals_by_op(reports);
  if (!by_op.empty()) {
    std::cout << fmt::format("{:<36} {:>5} {:>5} {:>11} {:>5} {:>6}\n", "op type", "cases", "pass",
                             "unsupported", "wrong", "errors");
    for (const auto& [op, ot] : by_op) {
      std::cout << fmt::format("{:<36} {:>5} {:>5} {:>11} {:>5} {:>6}\n", op, ot.total, ot.passed,
                               ot.unsupported, ot.failed, ot.error);
    }
  }
  std::cout << fmt::format("{} of {} cases pass ({} unsupported, {} wrong, {} errors)\n", t.passed,
                           t.total, t.unsupported, t.failed, t.error);
}

// Exit status per the expected list: a listed case that does not pass is a regression.
void report_expected(const Options& o, const std::vector<CaseReport>& reports) {
  const ExpectedCheck check = conformance::check_expected(conformance::read_expected(o.expected),
                                                          reports, !o.filter.empty(), o.dir);
  const std::vector<std::string>& new_passes = check.new_passes;
  const std::vector<std::string>& regressions = check.regressions;
  if (!new_passes.empty()) {
    std::cerr << fmt::format("{} passing cases are not in {} (add them):\n", new_passes.size(),
                             o.expected);
    for (const std::string& n : new_passes) std::cerr << "  " << n << "\n";
  }
  if (!regressions.empty()) {
    for (const std::string& r : regressions) std::cerr << "regression: " << r << "\n";
    throw CommandFailed(
        fmt::format("{} case(s) listed in {} do not pass", regressions.size(), o.expected));
  }
  std::cerr << fmt::format("all {} expected cases pass\n", check.expected);
}

void run(const Options& o) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<ConformanceCase> cases = conformance::find_cases(o.dir, o.filter);
  check_provider_names(o.providers);
  SandboxLimits limits;
  limits.timeout_s = o.timeout_s;
  limits.memory_mb = o.memory_mb;
  Progress progress(cases.size());
  const ConformanceRun run = conformance::run_cases(
      cases, o.providers, o.jobs, limits, [&](const Totals& t, size_t) { progress.update(t); });
  const std::vector<CaseReport>& reports = run.reports;
  const Totals& totals = run.totals;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const json j = conformance::report_json(reports, totals, seconds);
  if (!o.report.empty()) write_file_atomic(o.report, j.dump(2) + "\n");
  if (o.json) {
    std::cout << j.dump() << "\n";
  } else {
    print_summary(reports, totals, o.verbose);
  }
  std::cout.flush();
  if (!o.expected.empty()) report_expected(o, reports);
}

}  // namespace

void add_conformance_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "conformance",
      "Run ONNX backend node tests (case folders with model.onnx + test_data_set_*)");
  cmd->add_option("DIR", o->dir, "Folder of case folders (e.g. ../shared/onnx-conformance/node)")
      ->required();
  cmd->add_option("--filter", o->filter, "Only cases whose name matches this regular expression");
  cmd->add_option("--provider", o->providers,
                  "Providers in order of preference (repeat or comma-separate)")
      ->delimiter(',');
  cmd->add_flag("--json", o->json, "Print one JSON object instead of the summary");
  cmd->add_option("--report", o->report, "Also write the JSON report to this file");
  cmd->add_option("--expected", o->expected,
                  "File of case names expected to pass; exit 1 when one of them does not");
  cmd->add_option("--jobs,-j", o->jobs, "Cases run at once (default: hardware threads)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("--timeout", o->timeout_s, "Seconds one case may take before it is an error")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--memory-mb", o->memory_mb, "Address-space limit per case, MiB (0: none)");
  cmd->add_flag("--verbose,-v", o->verbose, "List passing cases and every unsupported reason");
  cmd->callback([o] { run(*o); });
}

}  // namespace bog::cli
