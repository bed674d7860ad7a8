// `bog baseline`: the fastText-style hashed uni+bigram classifier, trained on train.csv and
// scored on test.csv: the number every model accuracy in this project stands next to.
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "model/baseline/fasttext_classifier.h"
#include "model/data/ag_news.h"
#include "model/data/ag_news_files.h"
#include "model/data/sha256.h"
#include "model/metrics/classification_metrics.h"

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
    const auto dir = model::resolve_data_dir(args->data);
    const auto train_path = dir / "train.csv";
    const auto train = model::read_ag_news_csv(train_path);
    const auto test = model::read_ag_news_csv(dir / "test.csv");
    const std::string train_sha = model::sha256_file_hex(train_path);
    const auto start = std::chrono::steady_clock::now();
    const auto clf =
        model::FastTextClassifier::train(train, model::kAgNewsNumClasses, args->config);
    const double train_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    model::MetricsAccumulator acc(model::kAgNewsNumClasses);
    for (const auto& ex : test) acc.add(clf.predict_proba(ex.text()), ex.label);
    const auto m = acc.finish();
    const auto status = model::classify_ag_news_file("train.csv", train_sha);
    if (args->json) {
      std::cout << nlohmann::json{{"accuracy", m.accuracy},
                                  {"macro_f1", m.macro_f1},
                                  {"n", m.n},
                                  {"train_rows", train.size()},
                                  {"train_sha256", train_sha},
                                  {"train_status", model::file_status_name(status)},
                                  {"train_seconds", train_s}}
                       .dump()
                << "\n";
      return;
    }
    fmt::print(
        "baseline: fastText-style, hashed word uni+bigrams (2^{} buckets), dim {}, {} "
        "epochs, seed {}\n",
        args->config.buckets_log2, args->config.dim, args->config.epochs, args->config.seed);
    fmt::print("train.csv {} rows, sha256 {} ({}); trained in {:.1f} s\n", train.size(), train_sha,
               model::file_status_name(status), train_s);
    fmt::print("test.csv  n = {}: accuracy {:.4f}  macro-F1 {:.4f}\n", m.n, m.accuracy, m.macro_f1);
  });
}

}  // namespace bog::cli
