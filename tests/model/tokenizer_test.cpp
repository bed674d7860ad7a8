// SentencePiece tokenizer: fixed special ids, round trip, truncation, bytes and bad files.
#include "model/tokenizer/tokenizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common/error.h"

namespace bog::model {
namespace {

std::vector<std::string> corpus(uint64_t seed, int n) {
  const std::vector<std::string> words = {
      "market", "stocks", "fell",     "team",  "won",    "the",     "game",
      "new",    "chip",   "software", "oil",   "prices", "rose",    "minister",
      "said",   "talks",  "season",   "coach", "profit", "quarter", "space",
      "launch", "rocket", "election", "vote",  "of",     "a",       "in"};
  std::mt19937_64 rng(seed);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    std::string s;
    const int len = 3 + static_cast<int>(rng() % 10);
    for (int w = 0; w < len; ++w) {
      if (w) s += ' ';
      s += words[rng() % words.size()];
    }
    out.push_back(s);
  }
  return out;
}

class TokenizerTest : public testing::TestWithParam<std::string> {
 protected:
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / ("bog_tok_test_" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir_); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
};

TEST_P(TokenizerTest, TrainsWithFixedSpecialIdsAndRoundTrips) {
  SCOPED_TRACE(testing::Message() << "type=" << GetParam() << " seed=5");
  TokenizerConfig config;
  config.model_type = GetParam();
  config.vocab_size = 120;
  const auto texts = corpus(5, 600);
  const auto path = dir_ / "tok.model";
  const Tokenizer tok = Tokenizer::train(texts, config, path);
  ASSERT_TRUE(std::filesystem::exists(path));
  EXPECT_GT(tok.vocab_size(), 4);
  EXPECT_LE(tok.vocab_size(), 120);
  EXPECT_EQ(tok.id_to_piece(Tokenizer::kPadId), "<pad>");
  EXPECT_EQ(tok.id_to_piece(Tokenizer::kUnkId), "<unk>");
  EXPECT_EQ(tok.id_to_piece(Tokenizer::kBosId), "<s>");
  EXPECT_EQ(tok.id_to_piece(Tokenizer::kEosId), "</s>");

  const std::string text = "the team won the game";
  const auto ids = tok.encode(text, 0, true, true);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), Tokenizer::kBosId);
  EXPECT_EQ(ids.back(), Tokenizer::kEosId);
  for (size_t i = 1; i + 1 < ids.size(); ++i) {
    EXPECT_GE(ids[i], 4);
    EXPECT_LT(ids[i], tok.vocab_size());
  }
  EXPECT_EQ(tok.decode(ids), text);
  EXPECT_EQ(tok.encode(text, 0, false, false).size(), ids.size() - 2);

  // Reloading from the file and from the bytes gives the same encoding.
  const Tokenizer loaded = Tokenizer::load(path);
  EXPECT_EQ(loaded.encode(text, 0, true, true), ids);
  EXPECT_EQ(loaded.model_bytes(), tok.model_bytes());
  const Tokenizer from_bytes = Tokenizer::from_bytes(tok.model_bytes(), "mem");
  EXPECT_EQ(from_bytes.encode(text, 0, true, true), ids);

  // Unseen characters map to unk.
  const auto unk = tok.encode("\xe4\xb8\xad", 0, false, false);
  EXPECT_NE(std::find(unk.begin(), unk.end(), Tokenizer::kUnkId), unk.end());
}

TEST_P(TokenizerTest, TruncationKeepsClsFirstAndEosLast) {
  TokenizerConfig config;
  config.model_type = GetParam();
  config.vocab_size = 100;
  const Tokenizer tok = Tokenizer::train(corpus(9, 400), config, dir_ / "t.model");
  const std::string text = "market stocks fell oil prices rose minister said talks";
  const auto full = tok.encode(text, 0, true, true);
  for (const int max_len : {2, 3, 5}) {
    SCOPED_TRACE(max_len);
    const auto ids = tok.encode(text, max_len, true, true);
    ASSERT_EQ(ids.size(), static_cast<size_t>(max_len));
    EXPECT_EQ(ids.front(), Tokenizer::kBosId);
    EXPECT_EQ(ids.back(), Tokenizer::kEosId);
    for (int i = 1; i + 1 < max_len; ++i) EXPECT_EQ(ids[i], full[i]);
  }
  EXPECT_EQ(tok.encode(text, 1000, true, true), full);
  EXPECT_EQ(tok.encode(text, 1, false, false).size(), 1u);
  EXPECT_THROW((void)tok.encode(text, 1, true, true), Error);
  EXPECT_TRUE(tok.encode("", 0, false, false).empty());
}

TEST_P(TokenizerTest, TrainingIsReproducible) {
  TokenizerConfig config;
  config.model_type = GetParam();
  config.vocab_size = 100;
  const auto texts = corpus(3, 400);
  const Tokenizer a = Tokenizer::train(texts, config, dir_ / "a.model");
  const Tokenizer b = Tokenizer::train(texts, config, dir_ / "b.model");
  EXPECT_EQ(a.model_bytes(), b.model_bytes());
}

INSTANTIATE_TEST_SUITE_P(Types, TokenizerTest, testing::Values("unigram", "bpe"));

TEST(Tokenizer, RejectsBadConfigsAndFiles) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("bog_tok_bad_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  TokenizerConfig config;
  config.model_type = "wordpiece";
  EXPECT_THROW((void)Tokenizer::train(corpus(1, 10), config, dir / "x.model"), Error);
  config = {};
  config.vocab_size = 2;
  EXPECT_THROW((void)Tokenizer::train(corpus(1, 10), config, dir / "x.model"), Error);
  config = {};
  config.normalization = "lowercase";
  EXPECT_THROW((void)Tokenizer::train(corpus(1, 10), config, dir / "x.model"), Error);
  EXPECT_THROW((void)Tokenizer::train({"", ""}, TokenizerConfig{}, dir / "x.model"), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.model"));

  std::ofstream(dir / "junk.model", std::ios::binary) << "not a model";
  try {
    (void)Tokenizer::load(dir / "junk.model");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel);
  }
  try {
    (void)Tokenizer::load(dir / "missing.model");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kIo);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bog::model
