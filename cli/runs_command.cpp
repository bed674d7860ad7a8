// `bog runs list|show|compare`: the run records (run.json) that every `bog train` and every
// trial writes, read from the runs/ folder.
#include <fmt/format.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "tune/run_compare.h"
#include "tune/run_tracker.h"

namespace bog::cli {
namespace {

using nlohmann::json;

std::string text(const json& v) {
  if (v.is_null()) return "-";
  if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

void add_runs_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("runs", "Tracked runs (every bog train and tune trial)");
  cmd->require_subcommand(1);
  auto root = std::make_shared<std::string>("runs");
  auto as_json = std::make_shared<bool>(false);

  auto* list = cmd->add_subcommand("list", "One line per run below --root");
  list->add_option("--root", *root, "Folder searched for run.json")->capture_default_str();
  list->add_flag("--json", *as_json, "One JSON object on stdout");
  list->callback([root, as_json] {
    const auto runs = tune::find_runs(*root);
    if (*as_json) {
      json out = {{"runs", json::array()}};
      for (const auto& r : runs) {
        out["runs"].push_back({{"run_id", r["run_id"]},
                               {"name", r.value("name", "")},
                               {"kind", r.value("kind", "")},
                               {"status", r.value("status", "")},
                               {"dir", r["dir"]},
                               {"final_metrics", tune::final_metrics(r)}});
      }
      fmt::print("{}\n", out.dump(2));
      return;
    }
    fmt::print("{:<10} {:<6} {:<9} {:>10}  {}\n", "id", "kind", "status", "valid acc", "dir");
    for (const auto& r : runs) {
      const auto m = tune::final_metrics(r);
      const auto it = m.find("valid.accuracy");
      fmt::print("{:<10} {:<6} {:<9} {:>10}  {}\n", r["run_id"].get<std::string>().substr(0, 8),
                 r.value("kind", ""), r.value("status", ""),
                 it == m.end() ? "-" : fmt::format("{:.4f}", it->second),
                 r["dir"].get<std::string>());
    }
  });

  auto show_ref = std::make_shared<std::string>();
  auto* show = cmd->add_subcommand("show", "One run's record");
  show->add_option("run", *show_ref, "Run folder or id (prefix)")->required();
  show->add_option("--root", *root, "Folder searched for ids")->capture_default_str();
  show->add_flag("--json", *as_json, "The whole record as JSON");
  show->callback([root, as_json, show_ref] {
    const json r = tune::load_run(*show_ref, *root);
    if (*as_json) {
      fmt::print("{}\n", r.dump(2));
      return;
    }
    fmt::print("run {} ({}, {}) in {}\n", r["run_id"].get<std::string>(), r.value("kind", ""),
               r.value("status", ""), r["dir"].get<std::string>());
    fmt::print("git {}\n", r.value("git_commit", "unknown"));
    const json params = r.value("params", json::object());  // items() must not outlive it
    for (const auto& [k, v] : params.items()) {
      fmt::print("  param  {} = {}\n", k, text(v));
    }
    for (const auto& m : r.value("metrics", json::array())) {
      fmt::print("  metric {} [epoch {}] = {}\n", m.value("key", ""), m.value("step", 0),
                 text(m["value"]));
    }
    const json summary = r.value("summary", json::object());
    for (const auto& [k, v] : summary.items()) {
      fmt::print("  summary {} = {}\n", k, text(v));
    }
  });

  auto refs = std::make_shared<std::vector<std::string>>();
  auto* compare = cmd->add_subcommand("compare", "Parameters that differ and final metrics");
  compare->add_option("runs", *refs, "Two or more run folders or ids")->required()->expected(2, -1);
  compare->add_option("--root", *root, "Folder searched for ids")->capture_default_str();
  compare->add_flag("--json", *as_json, "One JSON object on stdout");
  compare->callback([root, as_json, refs] {
    std::vector<json> runs;
    for (const auto& ref : *refs) runs.push_back(tune::load_run(ref, *root));
    const tune::RunComparison c = tune::compare_runs(runs);
    const json& diff = c.differing_params;
    const json& metrics = c.final_metrics;
    if (*as_json) {
      fmt::print("{}\n",
                 json({{"runs", c.run_ids}, {"differing_params", diff}, {"final_metrics", metrics}})
                     .dump(2));
      return;
    }
    std::string header = fmt::format("{:<28}", "");
    for (const auto& r : runs)
      header += fmt::format(" {:>14}", r["run_id"].get<std::string>().substr(0, 8));
    fmt::print("{}\n", header);
    for (const auto& [k, values] : diff.items()) {
      std::string line = fmt::format("{:<28}", k);
      for (const auto& v : values) line += fmt::format(" {:>14}", text(v));
      fmt::print("{}\n", line);
    }
    for (const auto& [k, values] : metrics.items()) {
      std::string line = fmt::format("{:<28}", k);
      for (const auto& v : values) line += fmt::format(" {:>14}", text(v));
      fmt::print("{}\n", line);
    }
  });
}

}  // namespace bog::cli
