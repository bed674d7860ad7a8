// `bog conformance DIR`: runs ONNX's backend node tests, each case in its own child process,
// and reports pass / fail / unsupported / error per case, per op type and in total.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/conformance_case.h"
#include "common/atomic_file.h"
#include "common/error.h"

namespace bog::cli {
namespace {

namespace fs = std::filesystem;
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

struct Totals {
  int total = 0, passed = 0, failed = 0, unsupported = 0, error = 0;
  void add(const std::string& status) {
    ++total;
    if (status == "pass") ++passed;
    if (status == "fail") ++failed;
    if (status == "unsupported") ++unsupported;
    if (status == "error") ++error;
  }
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

// "test_softmax_axis_0_expanded_ver18" -> "test_softmax_axis_0".
std::string base_case_name(const std::string& name) {
  static const std::regex kExpanded("_expanded(_ver[0-9]+)?$");
  return std::regex_replace(name, kExpanded, "");
}

// The op a case tests: the first op of its non-expanded twin (expanded cases hold the
// function body's ops), else its own first op.
std::map<std::string, std::string> primary_ops(const std::vector<CaseReport>& reports) {
  std::map<std::string, std::string> first_op;
  for (const CaseReport& r : reports) {
    if (!r.op_types.empty()) first_op[r.name] = r.op_types.front();
  }
  std::map<std::string, std::string> out;
  for (const CaseReport& r : reports) {
    const auto base = first_op.find(base_case_name(r.name));
    if (base != first_op.end()) {
      out[r.name] = base->second;
    } else {
      out[r.name] = r.op_types.empty() ? "(unknown)" : r.op_types.front();
    }
  }
  return out;
}

json to_json(const std::vector<CaseReport>& reports, const Totals& t, double seconds) {
  json cases = json::array();
  std::map<std::string, Totals> bands;
  for (const CaseReport& r : reports) {
    json c = {{"name", r.name},
              {"status", r.status},
              {"op_types", r.op_types},
              {"opset", r.opset},
              {"reason", r.reason}};
    if (r.status == "fail") c["max_abs_diff"] = r.max_abs_diff;
    cases.push_back(std::move(c));
    bands[r.opset >= 0 && r.opset <= 17 ? "opset<=17" : "opset>17"].add(r.status);
  }
  json band_json = json::object();
  for (const auto& [band, bt] : bands) {
    band_json[band] = {{"total", bt.total}, {"passed", bt.passed}};
  }
  return {{"total", t.total},         {"passed", t.passed},
          {"failed", t.failed},       {"unsupported", t.unsupported},
          {"error", t.error},         {"seconds", seconds},
          {"opset_bands", band_json}, {"cases", cases}};
}

void print_summary(const std::vector<CaseReport>& reports, const Totals& t, bool verbose) {
  std::vector<const CaseReport*> bad;
  std::map<std::string, int> unsupported_reasons;
  for (const CaseReport& r : reports) {
    if (r.status == "fail" || r.status == "error") bad.push_back(&r);
    if (r.status == "unsupported") ++unsupported_reasons[r.reason];
    if (verbose && r.status == "pass") std::cout << fmt::format("pass         {}\n", r.name);
  }
  if (!bad.empty()) {
    std::cout << "wrong results and errors:\n";
    for (const CaseReport* r : bad) {
      std::cout << fmt::format("  {:<6} {}: {}\n", r->status == "fail" ? "wrong" : "error", r->name,
                               r->reason);
    }
  }
  if (!unsupported_reasons.empty()) {
    std::vector<std::pair<int, std::string>> sorted;
    for (const auto& [reason, n] : unsupported_reasons) sorted.emplace_back(n, reason);
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
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
  const std::map<std::string, std::string> op_of = primary_ops(reports);
  std::map<std::string, Totals> by_op;
  for (const CaseReport& r : reports) by_op[op_of.at(r.name)].add(r.status);
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

std::vector<std::string> read_expected(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCategory::kIo, fmt::format("cannot read expected list '{}'", path));
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    const size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    const size_t e = line.find_last_not_of(" \t\r");
    names.push_back(line.substr(b, e - b + 1));
  }
  return names;
}

// Exit status per the expected list: a listed case that does not pass is a regression.
void check_expected(const Options& o, const std::vector<CaseReport>& reports) {
  const std::vector<std::string> expected = read_expected(o.expected);
  const std::set<std::string> listed(expected.begin(), expected.end());
  std::map<std::string, const CaseReport*> by_name;
  for (const CaseReport& r : reports) by_name[r.name] = &r;
  std::vector<std::string> regressions;
  for (const std::string& name : expected) {
    const auto it = by_name.find(name);
    if (it == by_name.end()) {
      // With a filter the case was simply not selected; without one it has gone missing.
      if (o.filter.empty()) regressions.push_back(fmt::format("{} (not found in {})", name, o.dir));
      continue;
    }
    if (it->second->status != "pass") {
      regressions.push_back(
          fmt::format("{} ({}: {})", name, it->second->status, it->second->reason));
    }
  }
  std::vector<std::string> new_passes;
  for (const CaseReport& r : reports) {
    if (r.status == "pass" && !listed.count(r.name)) new_passes.push_back(r.name);
  }
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
  std::cerr << fmt::format("all {} expected cases pass\n", expected.size());
}

void run(const Options& o) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<ConformanceCase> cases = find_cases(o.dir, o.filter);
  check_provider_names(o.providers);
  SandboxLimits limits;
  limits.timeout_s = o.timeout_s;
  limits.memory_mb = o.memory_mb;
  const int jobs =
      o.jobs > 0 ? o.jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  std::vector<CaseReport> reports(cases.size());
  Totals totals;
  Progress progress(cases.size());
  run_sandboxed(
      cases.size(), jobs, limits,
      [&](size_t i, int fd) { run_case_reporting(cases[i], o.providers, fd); },
      [&](size_t i, SandboxResult result) {
        reports[i] = parse_case_report(cases[i], result, limits);
        totals.add(reports[i].status);
        progress.update(totals);
      });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const json j = to_json(reports, totals, seconds);
  if (!o.report.empty()) write_file_atomic(o.report, j.dump(2) + "\n");
  if (o.json) {
    std::cout << j.dump() << "\n";
  } else {
    print_summary(reports, totals, o.verbose);
  }
  std::cout.flush();
  if (!o.expected.empty()) check_expected(o, reports);
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
