// `bog train`: trains a classifier from a model config and a train config on AG News.
#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "model/data/ag_news.h"
#include "model/train/trainer.h"
#include "tune/tracked_training.h"

namespace bog::cli {
namespace {

// The exact command line, for provenance (arguments joined by spaces).
std::string own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string out;
  for (char c : raw) out.push_back(c == '\0' ? ' ' : c);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "train", "Train a classifier or a decoder LM (checkpoints and metrics in --out)");
  struct Args {
    std::string model_config = "configs/model.yaml";
    std::string train_config = "configs/train.yaml";
    std::optional<std::string> data;
    std::string out;
    bool resume = false;
    int64_t stop_after = 0;
    bool quiet = false;
    std::string mlflow_uri;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--model-config", args->model_config, "Model YAML")->capture_default_str();
  cmd->add_option("--train-config", args->train_config, "Training YAML")->capture_default_str();
  cmd->add_option("--data", args->data, "Directory with train.csv (default: $BOG_DATA_DIR)");
  cmd->add_option("--out", args->out, "Run directory, e.g. runs/NAME")->required();
  cmd->add_flag("--resume", args->resume, "Continue from the newest checkpoint in --out");
  cmd->add_option("--stop-after", args->stop_after,
                  "Stop with a checkpoint after this many steps (schedule unchanged)");
  cmd->add_flag("--quiet", args->quiet, "No progress output");
  cmd->add_option("--mlflow-uri", args->mlflow_uri,
                  "Also log the run to this MLflow tracking server (REST API)");
  cmd->callback([args] {
    model::TrainOptions options;
    options.model_config = args->model_config;
    options.train_config = args->train_config;
    options.data_dir = model::resolve_data_dir(args->data);
    options.out_dir = args->out;
    options.resume = args->resume;
    options.stop_after_steps = args->stop_after;
    options.command = own_command_line();
    options.quiet = args->quiet;
    const model::TrainSummary summary = tune::run_tracked_training(options, args->mlflow_uri);
    fmt::print("trained {} steps in {:.1f} s ({:.0f} tokens/s)\n", summary.steps,
               summary.train_seconds, summary.tokens_per_second);
    if (summary.best_checkpoint.empty()) {
      fmt::print("not validated yet (no epoch ended); last checkpoint: {}\n",
                 summary.last_checkpoint.string());
      return;
    }
    if (summary.is_lm) {
      fmt::print("best valid perplexity {:.2f}\n", summary.best_valid_perplexity);
    } else {
      fmt::print("best valid accuracy {:.4f}\n", summary.best_valid_accuracy);
    }
    fmt::print("best checkpoint: {}\n", summary.best_checkpoint.string());
  });
}

}  // namespace bog::cli
