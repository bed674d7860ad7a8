// `bog baseline`: the fastText-style hashed uni+bigram classifier, trained on train.csv and
// scored on test.csv: the number every model accuracy in this project stands next to.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "model/data/ag_news.h"
#include "model/train/eval_report.h"

namespace bog::cli {

void add_baseline_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "baseline", "fastText-style linear baseline (hashed word uni+bigrams) on train -> test");
  struct Args {
    std::optional<std::string> data;
    model::BaselineConfig config;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--data", args->data, "AG News directory (default: $BOG_DATA_DIR)");
  cmd->add_option("--epochs", args->config.epochs)->capture_default_str();
  cmd->add_option("--dim", args->config.dim, "Embedding size")->capture_default_str();
  cmd->add_option("--lr", args->config.learning_rate)->capture_default_str();
  cmd->add_option("--seed", args->config.seed)->capture_default_str();
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args] {
    const nlohmann::json r = model::run_baseline(model::resolve_data_dir(args->data), args->config);
    if (args->json) {
      std::cout << r.dump() << "\n";
      return;
    }
    fmt::print(
        "baseline: fastText-style, hashed word uni+bigrams (2^{} buckets), dim {}, {} "
        "epochs, seed {}\n",
        args->config.buckets_log2, args->config.dim, args->config.epochs, args->config.seed);
    fmt::print("train.csv {} rows, sha256 {} ({}); trained in {:.1f} s\n",
               r["train_rows"].get<int64_t>(), r["train_sha256"].get<std::string>(),
               r["train_status"].get<std::string>(), r["train_seconds"].get<double>());
    fmt::print("test.csv  n = {}: accuracy {:.4f}  macro-F1 {:.4f}\n", r["n"].get<int64_t>(),
               r["accuracy"].get<double>(), r["macro_f1"].get<double>());
  });
}

}  // namespace bog::cli
