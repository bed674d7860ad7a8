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
    std::string study;
    std::string out;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("study", args->study, "Study folder (runs/tune-NAME)")->required();
  cmd->add_option("--out", args->out, "Bundle folder, e.g. models/NAME")->required();
  cmd->callback([args] {
    const auto manifest = tune::promote_best_trial(args->study, args->out);
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
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("studies", args->studies, "Study folders (several: compared)")->required();
  cmd->add_option("--html", args->html, "HTML output (default: <first study>/report.html)");
  cmd->add_option("--markdown", args->markdown,
                  "Markdown output (default: <first study>/report.md)");
  cmd->callback([args] {
    std::vector<tune::StudyView> views;
    for (const auto& s : args->studies) views.push_back(tune::load_study_view(s));
    const fs::path first(args->studies.front());
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
      "tune", "Bayesian optimisation of the training recipe (study in --out/study.db)");
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
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--config", args->config, "Study YAML")->capture_default_str();
  cmd->add_option("--data", args->data, "Directory with train.csv (default: $BOG_DATA_DIR)");
  cmd->add_option("--out", args->out, "Study folder, e.g. runs/tune-NAME");
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
    if (args->out.empty()) {
      throw Error(ErrorCategory::kInvalidArgument, "tune: --out is required (e.g. runs/tune-NAME)");
    }
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
    const auto summary = tune::run_study(o);
    if (args->worker) return;
    fmt::print("study {}: {} trials ({} complete, {} pruned, {} failed{})\n", args->out,
               summary.trials.size(), summary.complete, summary.pruned, summary.failed,
               summary.requeued ? fmt::format("; {} interrupted re-run", summary.requeued) : "");
    if (summary.complete > 0) {
      const auto best = tune::best_trial(summary.trials, args->out);
      fmt::print("best trial {}: valid accuracy {:.4f} {}\n", best.number, *best.value,
                 best.params.dump());
    }
  });
}

}  // namespace bog::cli
