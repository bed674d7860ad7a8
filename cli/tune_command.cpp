// `bog tune`: a Bayesian-optimisation study over the training recipe (tune/study.h), and its
// subcommands `bench` (samplers on test functions), `promote` (best trial -> bundle) and
// `report` (HTML + Markdown).
#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "model/data/ag_news.h"
#include "tune/benchmark_functions.h"
#include "tune/report.h"
#include "tune/study.h"

namespace bog::cli {
namespace {

namespace fs = std::filesystem;

void add_bench(CLI::App& tune) {
  auto* cmd = tune.add_subcommand("bench", "Samplers on test functions (minimised), no training");
  struct Args {
    std::vector<std::string> objectives = {"branin", "hartmann6"};
    std::vector<std::string> samplers = {"gp", "random", "tpe"};
    int trials = 30;
    int seeds = 10;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--objectives", args->objectives, "branin, hartmann6")->delimiter(',');
  cmd->add_option("--samplers", args->samplers, "gp, random, tpe")->delimiter(',');
  cmd->add_option("--trials", args->trials, "Evaluations per run")->capture_default_str();
  cmd->add_option("--seeds", args->seeds, "Runs per sampler and objective")->capture_default_str();
  cmd->add_flag("--json", args->json, "One JSON object on stdout");
  cmd->callback([args] {
    const auto results =
        tune::run_bench(args->objectives, args->samplers, args->trials, args->seeds);
    if (args->json) {
      nlohmann::json out = {{"results", nlohmann::json::array()}};
      for (const auto& r : results) {
        out["results"].push_back({{"objective", r.objective},
                                  {"sampler", r.sampler},
                                  {"median_best", r.median_best},
                                  {"best_per_seed", r.best_per_seed},
                                  {"known_minimum", r.minimum},
                                  {"trials", args->trials}});
      }
      fmt::print("{}\n", out.dump(2));
      return;
    }
    fmt::print("{:<10} {:<7} {:>12} {:>12}  (best after {} trials, {} seeds)\n", "objective",
               "sampler", "median best", "minimum", args->trials, args->seeds);
    for (const auto& r : results) {
      fmt::print("{:<10} {:<7} {:>12.5f} {:>12.5f}\n", r.objective, r.sampler, r.median_best,
                 r.minimum);
    }
  });
}

void add_promote(CLI::App& tune) {
  auto* cmd = tune.add_subcommand("promote", "Bundle the best trial's checkpoint");
  struct Args {
    std::string folder;
    std::string out;
    std::string storage;
    std::string study;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("study", args->folder, "Study folder (runs/tune-NAME)");
  cmd->add_option("--out", args->out, "Bundle folder, e.g. models/NAME")->required();
  cmd->add_option("--storage", args->storage, "The study's storage URL (instead of a folder)");
  cmd->add_option("--study", args->study, "The study's name in --storage");
  cmd->callback([args] {
    const auto manifest = tune::promote_best_trial(
        tune::locate_study(args->folder, args->storage, args->study), args->out);
    fmt::print("bundled trial {} (valid accuracy {:.4f}) into {}\n",
               manifest["tuning"]["trial"].get<int>(),
               manifest["tuning"]["best_valid_accuracy"].get<double>(), args->out);
  });
}

void add_report(CLI::App& tune) {
  auto* cmd = tune.add_subcommand("report", "HTML (SVG plots) and Markdown report of studies");
  struct Args {
    std::vector<std::string> studies;
    std::string html;
    std::string markdown;
    std::string storage;
    std::vector<std::string> names;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("studies", args->studies, "Study folders (several: compared)");
  cmd->add_option("--storage", args->storage, "A storage URL: report its studies named by --study");
  cmd->add_option("--study", args->names, "Study names in --storage (several: compared)")
      ->delimiter(',');
  cmd->add_option("--html", args->html, "HTML output (default: <first study>/report.html)");
  cmd->add_option("--markdown", args->markdown,
                  "Markdown output (default: <first study>/report.md)");
  cmd->callback([args] {
    std::vector<tune::StudyView> views;
    fs::path first;
    if (!args->storage.empty()) {
      if (args->names.empty()) args->names.push_back("");
      for (const auto& n : args->names) {
        const auto at = tune::locate_study("", args->storage, n);
        views.push_back(tune::load_study_view(at.url, at.name));
      }
      first = args->studies.empty() ? fs::path("runs") / ("tune-" + views.front().name)
                                    : fs::path(args->studies.front());
      fs::create_directories(first);
    } else {
      if (args->studies.empty()) {
        throw Error(ErrorCategory::kInvalidArgument,
                    "tune report: name study folders, or --storage URL --study NAME");
      }
      for (const auto& s : args->studies) {
        const auto at = tune::locate_study(s, "", "");
        views.push_back(tune::load_study_view(at.url, at.name));
      }
      first = args->studies.front();
    }
    const fs::path html = args->html.empty() ? first / "report.html" : fs::path(args->html);
    const fs::path md = args->markdown.empty() ? first / "report.md" : fs::path(args->markdown);
    write_file_atomic(html, tune::study_report_html(views));
    write_file_atomic(md, tune::study_report_markdown(views));
    fmt::print("wrote {} and {}\n", html.string(), md.string());
  });
}

}  // namespace

void add_tune_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "tune",
      "Bayesian optimisation of the training recipe (study in --storage, or --out/study.db)");
  cmd->require_subcommand(0, 1);
  struct Args {
    std::string config = "configs/tune.yaml";
    std::optional<std::string> data;
    std::string out;
    int trials = -1;
    int jobs = 1;
    double timeout_min = -1;
    bool resume = false;
    bool worker = false;
    bool quiet = false;
    std::string mlflow_uri;
    std::string storage;
    std::string study;
    double heartbeat_s = -1;
    double grace_s = -1;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--config", args->config, "Study YAML")->capture_default_str();
  cmd->add_option("--data", args->data, "Directory with train.csv (default: $BOG_DATA_DIR)");
  cmd->add_option("--out", args->out,
                  "Study folder, e.g. runs/tune-NAME (the trials' files; without --storage also "
                  "the study: sqlite:///OUT/study.db)");
  cmd->add_option("--storage", args->storage,
                  "Study storage shared by workers on any hosts: postgresql://user[:password]@"
                  "host[:port]/db or sqlite:///path/study.db (Optuna's schema)");
  cmd->add_option("--study", args->study,
                  "The study's name in the storage (default: the --out folder's name)");
  cmd->add_option("--heartbeat-s", args->heartbeat_s,
                  "Running trials write a heartbeat this often; a trial whose heartbeat is older "
                  "than --grace-s is failed and retried (default: 10 with postgresql, 0 = off "
                  "with sqlite)");
  cmd->add_option("--grace-s", args->grace_s,
                  "Heartbeat age that fails a trial (default: 2 x --heartbeat-s)");
  cmd->add_option("--trials", args->trials, "Trials in the study (default: the config's)");
  cmd->add_option("--jobs", args->jobs, "Parallel worker processes on one database")
      ->capture_default_str();
  cmd->add_option("--timeout-min", args->timeout_min,
                  "Start no trial after this many minutes (default: the config's)");
  cmd->add_flag("--resume", args->resume,
                "Continue the study in --out; interrupted trials run again");
  cmd->add_flag("--worker", args->worker)->group("");  // internal: a worker process
  cmd->add_flag("--quiet", args->quiet, "No progress output");
  cmd->add_option("--mlflow-uri", args->mlflow_uri,
                  "Also log every trial to this MLflow tracking server (REST API)");
  add_bench(*cmd);
  add_promote(*cmd);
  add_report(*cmd);
  cmd->callback([cmd, args] {
    if (!cmd->get_subcommands().empty()) return;
    if (args->out.empty() && args->storage.empty()) {
      throw Error(ErrorCategory::kInvalidArgument,
                  "tune: --out is required (e.g. runs/tune-NAME), or --storage URL --study NAME");
    }
    if (!args->storage.empty() && args->study.empty()) {
      throw Error(ErrorCategory::kInvalidArgument, "tune: --storage needs --study NAME");
    }
    if (args->out.empty()) args->out = "runs/tune-" + args->study;
    tune::StudyOptions o;
    o.config = args->config;
    o.data_dir = model::resolve_data_dir(args->data);
    o.out = args->out;
    o.trials = args->trials;
    o.jobs = args->jobs;
    o.timeout_min = args->timeout_min;
    o.resume = args->resume;
    o.worker = args->worker;
    o.quiet = args->quiet;
    o.mlflow_uri = args->mlflow_uri;
    o.storage = args->storage;
    o.study = args->study;
    o.heartbeat_s = args->heartbeat_s >= 0                  ? args->heartbeat_s
                    : args->storage.starts_with("postgres") ? 10.0
                                                            : 0.0;
    o.grace_s = args->grace_s;
    const auto summary = tune::run_study(o);
    if (args->worker) return;
    fmt::print("study {}: {} trials ({} complete, {} pruned, {} failed{})\n", args->out,
               summary.trials.size(), summary.complete, summary.pruned, summary.failed,
               summary.requeued ? fmt::format("; {} interrupted re-run", summary.requeued) : "");
    if (summary.complete > 0) {
      const auto best = tune::best_trial(summary.trials, args->out, summary.maximize);
      fmt::print("best trial {}: {} {:.4f} {}\n", best.number,
                 summary.maximize ? "valid accuracy" : "value", *best.value, best.params.dump());
    }
  });
}

}  // namespace bog::cli
