// The bundles shipped in models/: they load (every hash and the architecture checked), stay
// under the size budget, record how they were made, and classify an obvious headline.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "model/bundle.h"
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
  const fs::path dir = fs::path(BOG_SOURCE_DIR) / GetParam().dir;
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
  EXPECT_EQ(p.at("data_file").get<std::string>().find(fs::path(BOG_SOURCE_DIR).string()),
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

}  // namespace
}  // namespace bog::model
