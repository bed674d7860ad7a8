#include "conformance/conformance_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include "common/error.h"

namespace bog::conformance {

using nlohmann::json;

void Totals::add(const std::string& status) {
  ++total;
  if (status == "pass") ++passed;
  if (status == "fail") ++failed;
  if (status == "unsupported") ++unsupported;
  if (status == "error") ++error;
}

std::string base_case_name(const std::string& name) {
  static const std::regex kExpanded("_expanded(_ver[0-9]+)?$");
  return std::regex_replace(name, kExpanded, "");
}

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

std::map<std::string, Totals> totals_by_op(const std::vector<CaseReport>& reports) {
  const std::map<std::string, std::string> op_of = primary_ops(reports);
  std::map<std::string, Totals> by_op;
  for (const CaseReport& r : reports) by_op[op_of.at(r.name)].add(r.status);
  return by_op;
}

std::vector<std::pair<int, std::string>> unsupported_reasons(
    const std::vector<CaseReport>& reports) {
  std::map<std::string, int> counts;
  for (const CaseReport& r : reports) {
    if (r.status == "unsupported") ++counts[r.reason];
  }
  std::vector<std::pair<int, std::string>> sorted;
  for (const auto& [reason, n] : counts) sorted.emplace_back(n, reason);
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  return sorted;
}

json report_json(const std::vector<CaseReport>& reports, const Totals& t, double seconds) {
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

ExpectedCheck check_expected(const std::vector<std::string>& expected,
                             const std::vector<CaseReport>& reports, bool filtered,
                             const std::string& dir) {
  ExpectedCheck check;
  check.expected = expected.size();
  const std::set<std::string> listed(expected.begin(), expected.end());
  std::map<std::string, const CaseReport*> by_name;
  for (const CaseReport& r : reports) by_name[r.name] = &r;
  for (const std::string& name : expected) {
    const auto it = by_name.find(name);
    if (it == by_name.end()) {
      // With a filter the case was simply not selected; without one it has gone missing.
      if (!filtered) check.regressions.push_back(fmt::format("{} (not found in {})", name, dir));
      continue;
    }
    if (it->second->status != "pass") {
      check.regressions.push_back(
          fmt::format("{} ({}: {})", name, it->second->status, it->second->reason));
    }
  }
  for (const CaseReport& r : reports) {
    if (r.status == "pass" && !listed.count(r.name)) check.new_passes.push_back(r.name);
  }
  return check;
}

}  // namespace bog::conformance
