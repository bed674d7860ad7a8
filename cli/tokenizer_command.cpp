// `bog tokenizer train`: a SentencePiece model trained on the training split only (the
// validation rows are held out exactly as `bog train` holds them out).
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "model/data/ag_news.h"
#include "model/tokenizer/tokenizer.h"

namespace bog::cli {

void add_tokenizer_command(CLI::App& app) {
  auto* tok = app.add_subcommand("tokenizer", "Train a SentencePiece tokenizer");
  tok->require_subcommand(1);
  auto* cmd = tok->add_subcommand("train", "Train on the train split of DIR/train.csv");
  struct Args {
    std::optional<std::string> data;
    std::string out;
    model::TokenizerConfig config;
    double valid_fraction = 0.05;
    uint64_t split_seed = 1;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  cmd->add_option("--data", args->data, "AG News directory (default: $BOG_DATA_DIR)");
  cmd->add_option("--out", args->out, "Output FILE.model")->required();
  cmd->add_option("--vocab-size", args->config.vocab_size, "Vocabulary size")
      ->capture_default_str();
  cmd->add_option("--type", args->config.model_type, "unigram or bpe")
      ->check(CLI::IsMember({"unigram", "bpe"}))
      ->capture_default_str();
  cmd->add_option("--character-coverage", args->config.character_coverage)->capture_default_str();
  cmd->add_option("--normalization", args->config.normalization,
                  "nmt_nfkc, nfkc, nmt_nfkc_cf, nfkc_cf or identity")
      ->capture_default_str();
  cmd->add_option("--valid-fraction", args->valid_fraction, "Held-out share of train.csv")
      ->capture_default_str();
  cmd->add_option("--split-seed", args->split_seed, "Seed of the validation split")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args] {
    const auto dir = model::resolve_data_dir(args->data);
    const auto split = model::stratified_split(model::read_ag_news_csv(dir / "train.csv"),
                                               args->valid_fraction, args->split_seed);
    std::vector<std::string> texts;
    texts.reserve(split.train.size());
    for (const auto& ex : split.train) texts.push_back(ex.text());
    const auto start = std::chrono::steady_clock::now();
    const auto tokenizer = model::Tokenizer::train(texts, args->config, args->out);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (args->json) {
      std::cout << nlohmann::json{{"out", args->out},
                                  {"type", args->config.model_type},
                                  {"vocab_size", tokenizer.vocab_size()},
                                  {"train_rows", texts.size()},
                                  {"seconds", seconds}}
                       .dump()
                << "\n";
      return;
    }
    fmt::print(
        "{} tokenizer, vocab {} (pad=0 unk=1 bos/cls=2 eos=3), trained on {} rows in "
        "{:.1f} s -> {}\n",
        args->config.model_type, tokenizer.vocab_size(), texts.size(), seconds, args->out);
  });
}

}  // namespace bog::cli
