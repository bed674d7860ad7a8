// Stratified split, data-directory resolution and SHA-256.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "common/error.h"
#include "model/data/ag_news.h"
#include "model/data/sha256.h"

namespace bog::model {
namespace {

// Appends, not "t" + std::to_string(i): GCC 12 raises a false -Wrestrict on that form.
std::string tag(char prefix, int id) {
  std::string s(1, prefix);
  s += std::to_string(id);
  return s;
}

std::vector<Example> make_examples(const std::vector<int>& per_class) {
  std::vector<Example> out;
  int id = 0;
  // Interleave classes so order preservation is observable.
  for (bool more = true; more;) {
    more = false;
    for (int c = 0; c < static_cast<int>(per_class.size()); ++c) {
      int have = 0;
      for (const auto& e : out) have += e.label == c ? 1 : 0;
      if (have < per_class[c]) {
        out.push_back({c, tag('t', id), tag('d', id)});
        ++id;
        more = true;
      }
    }
  }
  return out;
}

TEST(StratifiedSplit, TakesTheFractionFromEveryClass) {
  const auto all = make_examples({200, 101, 1, 40});
  const Split s = stratified_split(all, 0.05, 7);
  std::map<int, int> valid_per_class;
  for (const auto& e : s.valid) ++valid_per_class[e.label];
  EXPECT_EQ(valid_per_class[0], 10);
  EXPECT_EQ(valid_per_class[1], 5);
  EXPECT_EQ(valid_per_class[2], 0);
  EXPECT_EQ(valid_per_class[3], 2);
  EXPECT_EQ(s.train.size() + s.valid.size(), all.size());
  // Disjoint and complete: every title appears exactly once.
  std::map<std::string, int> seen;
  for (const auto& e : s.train) ++seen[e.title];
  for (const auto& e : s.valid) ++seen[e.title];
  EXPECT_EQ(seen.size(), all.size());
  for (const auto& [t, n] : seen) EXPECT_EQ(n, 1) << t;
}

TEST(StratifiedSplit, IsDeterministicPerSeedAndKeepsInputOrder) {
  const auto all = make_examples({300, 300, 300, 300});
  const Split a = stratified_split(all, 0.1, 42);
  const Split b = stratified_split(all, 0.1, 42);
  const Split c = stratified_split(all, 0.1, 43);
  ASSERT_EQ(a.valid.size(), 120u);
  bool differs = false;
  for (size_t i = 0; i < a.valid.size(); ++i) {
    EXPECT_EQ(a.valid[i].title, b.valid[i].title);
    differs = differs || a.valid[i].title != c.valid[i].title;
  }
  EXPECT_TRUE(differs) << "another seed should pick other rows";
  auto index = [](const Example& e) { return std::stoi(e.title.substr(1)); };
  for (size_t i = 1; i < a.train.size(); ++i) EXPECT_LT(index(a.train[i - 1]), index(a.train[i]));
  for (size_t i = 1; i < a.valid.size(); ++i) EXPECT_LT(index(a.valid[i - 1]), index(a.valid[i]));
}

TEST(StratifiedSplit, EmptyInputAndBadFractions) {
  EXPECT_TRUE(stratified_split({}, 0.05, 1).valid.empty());
  EXPECT_EQ(stratified_split(make_examples({3, 3, 3, 3}), 0.0, 1).valid.size(), 0u);
  EXPECT_THROW((void)stratified_split({}, 1.0, 1), Error);
  EXPECT_THROW((void)stratified_split({}, -0.1, 1), Error);
  EXPECT_THROW((void)stratified_split({{7, "a", "b"}}, 0.5, 1), Error);
}

TEST(DataDir, FlagWinsThenEnvironmentThenAnErrorNamingBoth) {
  const auto dir = std::filesystem::temp_directory_path();
  ::unsetenv("BOG_DATA_DIR");
  try {
    (void)resolve_data_dir(std::nullopt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("--data"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("BOG_DATA_DIR"), std::string::npos);
  }
  EXPECT_EQ(resolve_data_dir(dir.string()), dir);
  ::setenv("BOG_DATA_DIR", dir.string().c_str(), 1);
  EXPECT_EQ(resolve_data_dir(std::nullopt), dir);
  try {
    (void)resolve_data_dir(std::string("/nonexistent/bog/data"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kIo);
  }
  ::unsetenv("BOG_DATA_DIR");
}

TEST(Sha256, MatchesPublishedTestVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalUpdatesInAnyChunkingAgree) {
  std::string data;
  for (int i = 0; i < 300; ++i) data += static_cast<char>(i * 37 + 11);
  const std::string whole = sha256_hex(data);
  for (const size_t chunk : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 299u}) {
    SCOPED_TRACE(chunk);
    Sha256 h;
    for (size_t i = 0; i < data.size(); i += chunk)
      h.update(std::string_view(data).substr(i, chunk));
    EXPECT_EQ(h.finish_hex(), whole);
  }
  const auto path = std::filesystem::temp_directory_path() /
                    ("bog_sha_test_" + std::to_string(::getpid()) + ".bin");
  std::ofstream(path, std::ios::binary) << data;
  EXPECT_EQ(sha256_file_hex(path), whole);
  std::filesystem::remove(path);
  EXPECT_THROW((void)sha256_file_hex(path), Error);
}

}  // namespace
}  // namespace bog::model
