// The bundles shipped in models/: they load (every hash and the architecture checked), stay
// under the size budget, record how they were made, and classify an obvious headline; the LM
// prefers real text to the same words shuffled.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/build_paths.h"
#include "model/bundle.h"
#include "model/lm/lm_eager.h"
#include "model/train/evaluate.h"

namespace bog::model {
namespace {
namespace fs = std::filesystem;

struct Shipped {
  const char* dir;
  const char* architecture;
};

class ShippedBundle : public ::testing::TestWithParam<Shipped> {};

TEST_P(ShippedBundle, LoadsWithinBudgetWithProvenance) {
  const fs::path dir = fs::path(bog::source_dir()) / GetParam().dir;
  const LoadedBundle b = load_bundle(dir);
  EXPECT_EQ(b.config.architecture, GetParam().architecture);
  EXPECT_EQ(b.labels, (std::vector<std::string>{"World", "Sports", "Business", "Sci/Tech"}));

  uintmax_t bytes = 0;
  for (const auto& f : fs::directory_iterator(dir)) bytes += fs::file_size(f.path());
  EXPECT_LE(bytes, 8u * 1000 * 1000) << "bundle over the 8 MB budget";

  const auto& p = b.manifest.at("provenance");
  // Made by the project's own CLI from the AG News train split, and the record says so.
  EXPECT_EQ(p.at("command").get<std::string>().rfind("build/bog train ", 0), 0u) << p.at("command");
  EXPECT_EQ(p.at("data_sha256").get<std::string>().size(), 64u);
  EXPECT_GT(p.at("data_rows").get<int64_t>(), 0);
  EXPECT_GT(p.at("train_seconds").get<double>(), 0);
  EXPECT_LE(p.at("train_seconds").get<double>(), 3600);
  EXPECT_GT(p.at("tokens_per_second").get<double>(), 0);
  EXPECT_EQ(p.at("data_file").get<std::string>().find(fs::path(bog::source_dir()).string()),
            std::string::npos)
      << "the provenance must not name this machine's absolute paths";

  // One unmistakable headline per class.
  const char* headlines[4] = {
      "Prime minister and president meet for peace talks after the election in the capital",
      "Striker scores twice as the champions win the league title in the final match",
      "Shares fall as the bank reports lower quarterly profit and the stock market drops",
      "New software update for smartphones and a faster computer chip from the internet giant"};
  for (int label = 0; label < 4; ++label) {
    const auto ids = encode_text(headlines[label], *b.tokenizer, b.config);
    SeqLayout layout{1, static_cast<int>(ids.size()), {static_cast<int>(ids.size())}};
    const Mat logits = b.model->forward(ids, layout, false, nullptr);
    Eigen::Index best = 0;
    logits.row(0).maxCoeff(&best);
    EXPECT_EQ(best, label) << headlines[label];
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ShippedBundle,
                         ::testing::Values(Shipped{"models/agnews-tiny-llama", "tiny_llama"},
                                           Shipped{"models/agnews-modern", "modern_encoder"}),
                         [](const auto& info) { return std::string(info.param.architecture); });

// Mean negative log-likelihood per predicted token of BOS + text + EOS.
double mean_nll(LmEager& lm, const Tokenizer& tok, const std::string& text) {
  const std::vector<int32_t> ids32 = tok.encode(text, 0, true, true);
  const std::vector<int> ids(ids32.begin(), ids32.end());
  const Mat logits = lm.prefill(ids);
  double nll = 0;
  for (size_t t = 0; t + 1 < ids.size(); ++t) {
    const auto row = logits.row(static_cast<Eigen::Index>(t));
    const double m = row.maxCoeff();
    const double lse = m + std::log((row.array() - m).exp().sum());
    nll += lse - row(ids[t + 1]);
  }
  return nll / static_cast<double>(ids.size() - 1);
}

TEST(ShippedLm, LoadsWithinBudgetWithProvenanceAndPrefersRealText) {
  const fs::path dir = fs::path(bog::source_dir()) / "models/agnews-lm";
  const LoadedLmBundle b = load_lm_bundle(dir);
  EXPECT_EQ(b.config.architecture, "tiny_llama_lm");
  uintmax_t bytes = 0;
  for (const auto& f : fs::directory_iterator(dir)) bytes += fs::file_size(f.path());
  EXPECT_LE(bytes, 32u * 1000 * 1000) << "bundle over the issue's 32 MB budget";

  const auto& p = b.manifest.at("provenance");
  EXPECT_NE(p.at("command").get<std::string>().find("build/bog train "), std::string::npos);
  EXPECT_EQ(p.at("data_sha256").get<std::string>().size(), 64u);
  // The split it saw: the trainer's train part of train.csv, the rest held out for perplexity.
  EXPECT_GT(p.at("train_rows").get<int64_t>(), 0);
  EXPECT_EQ(p.at("train_rows").get<int64_t>() + p.at("valid_rows").get<int64_t>(),
            p.at("data_rows").get<int64_t>());
  EXPECT_GT(p.at("valid_metrics").at("perplexity").get<double>(), 1.0);

  LmEager lm(*b.model);
  const std::vector<std::string> texts = {
      "Stocks fell on Wall Street as oil prices rose to a record high on Monday",
      "The team won the championship game after the quarterback threw three touchdowns",
      "Microsoft released a new version of its Windows operating system for computers"};
  std::mt19937 rng(7);
  for (const std::string& text : texts) {
    std::istringstream in(text);
    std::vector<std::string> words{std::istream_iterator<std::string>(in), {}};
    std::shuffle(words.begin(), words.end(), rng);
    std::string shuffled;
    for (const auto& w : words) shuffled += (shuffled.empty() ? "" : " ") + w;
    const double real = mean_nll(lm, *b.tokenizer, text);
    const double mixed = mean_nll(lm, *b.tokenizer, shuffled);
    EXPECT_LT(real + 1.0, mixed) << text << " / " << shuffled;
  }
}

}  // namespace
}  // namespace bog::model
