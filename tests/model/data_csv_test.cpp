// AG News CSV reader: quoting rules, empty titles, and bad rows reported with file:line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common/error.h"
#include "model/data/ag_news.h"

namespace bog::model {
namespace {

std::filesystem::path write_temp(const std::string& name, const std::string& content) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("bog_data_csv_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

void expect_error_at(const std::string& csv, const std::string& where, const std::string& what) {
  SCOPED_TRACE(csv);
  try {
    (void)parse_ag_news_csv(csv, "x.csv");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidArgument);
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("x.csv:" + where + ":", 0), 0u) << msg;
    EXPECT_NE(msg.find(what), std::string::npos) << msg;
  }
}

TEST(AgNewsCsv, ReadsQuotedFieldsWithDoubledQuotesAndCommas) {
  const auto rows = parse_ag_news_csv(
      "\"3\",\"Fears for \"\"T N\"\" pension\",\"Unions, workers say\"\n"
      "\"1\",\"A\",\"B\"\n",
      "mem");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].label, 2);
  EXPECT_EQ(rows[0].title, "Fears for \"T N\" pension");
  EXPECT_EQ(rows[0].description, "Unions, workers say");
  EXPECT_EQ(rows[1].label, 0);
  EXPECT_EQ(rows[1].text(), "A B");
}

TEST(AgNewsCsv, AcceptsUnquotedFieldsCrlfAndMissingFinalNewline) {
  const auto rows = parse_ag_news_csv("4,plain title,plain text\r\n\"2\",x,\"y\"", "mem");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].label, 3);
  EXPECT_EQ(rows[0].title, "plain title");
  EXPECT_EQ(rows[0].description, "plain text");
  EXPECT_EQ(rows[1].label, 1);
  EXPECT_EQ(rows[1].title, "x");
  EXPECT_EQ(rows[1].description, "y");
}

TEST(AgNewsCsv, EmptyTitleIsValidAndTextIsDescriptionAlone) {
  const auto rows = parse_ag_news_csv("\"1\",\"\",\"only the description\"\n", "mem");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].title, "");
  EXPECT_EQ(rows[0].text(), "only the description");
}

TEST(AgNewsCsv, KeepsFieldsVerbatimButTextMapsBackslashes) {
  const auto rows =
      parse_ag_news_csv("\"4\",\"T\",\"a second\\team won \\$10 million\\\\done\"\n", "mem");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].description, "a second\\team won \\$10 million\\\\done");
  EXPECT_EQ(rows[0].text(), "T a second team won $10 million  done");
  EXPECT_EQ(clean_news_text("end\\"), "end ");
}

TEST(AgNewsCsv, QuotedFieldMaySpanLinesAndLineNumbersFollow) {
  expect_error_at("\"1\",\"a\nb\",\"c\"\n\"9\",\"t\",\"d\"\n", "3", "class must be 1..4");
  const auto rows = parse_ag_news_csv("\"1\",\"a\nb\",\"c\"\n", "mem");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].title, "a\nb");
}

TEST(AgNewsCsv, BlankLinesAreSkipped) {
  const auto rows = parse_ag_news_csv("\n\"1\",\"a\",\"b\"\n\n\"2\",\"c\",\"d\"\n\n", "mem");
  EXPECT_EQ(rows.size(), 2u);
}

TEST(AgNewsCsv, BadRowsNameFileAndLine) {
  expect_error_at("\"1\",\"a\",\"b\"\n\"5\",\"a\",\"b\"\n", "2", "class must be 1..4, got '5'");
  expect_error_at("\"0\",\"a\",\"b\"\n", "1", "class must be 1..4");
  expect_error_at("\"1.0\",\"a\",\"b\"\n", "1", "class must be 1..4");
  expect_error_at("\"\",\"a\",\"b\"\n", "1", "class must be 1..4");
  expect_error_at("\"1\",\"a\",\"b\"\n\"1\",\"a\"\n", "2", "expected 3 fields");
  expect_error_at("\"1\",\"a\",\"b\",\"c\"\n", "1", "got 4");
  expect_error_at("\"1\",\"a\",\"b\"\n\"1\",\"a\",\"unterminated\n", "2", "unterminated");
  expect_error_at("\"1\",\"a\"x,\"b\"\n", "1", "after a closing quote");
  expect_error_at("\"1\",a\"b,\"c\"\n", "1", "stray quote");
}

TEST(AgNewsCsv, ReadsFileAndReportsItsPath) {
  const auto good = write_temp("good.csv", "\"1\",\"a\",\"b\"\n\"3\",\"\",\"c\"\n");
  const auto rows = read_ag_news_csv(good);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].label, 2);
  const auto bad =
      write_temp("bad.csv", "\"1\",\"a\",\"b\"\n\"1\",\"a\",\"b\"\n\"7\",\"a\",\"b\"\n");
  try {
    (void)read_ag_news_csv(bad);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find(bad.string() + ":3:"), std::string::npos) << e.what();
  }
  try {
    (void)read_ag_news_csv(bad.parent_path() / "missing.csv");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kIo);
  }
  std::filesystem::remove_all(good.parent_path());
}

TEST(AgNewsCsv, RequotingRandomFieldsRoundTrips) {
  for (const uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(testing::Message() << "seed=" << seed);
    std::mt19937_64 rng(seed);
    const std::string alphabet = "ab ,\"\\\n$";
    std::string csv;
    std::vector<Example> want;
    for (int r = 0; r < 50; ++r) {
      Example ex;
      ex.label = static_cast<int>(rng() % 4);
      for (std::string* f : {&ex.title, &ex.description}) {
        const size_t len = rng() % 12;
        for (size_t i = 0; i < len; ++i) *f += alphabet[rng() % alphabet.size()];
      }
      // Appends only: GCC 12 raises a false -Wrestrict on chained string operator+.
      auto append_quoted = [&csv](const std::string& s) {
        csv.push_back('"');
        for (const char c : s) {
          if (c == '"') csv.push_back('"');
          csv.push_back(c);
        }
        csv.push_back('"');
      };
      append_quoted(std::to_string(ex.label + 1));
      csv.push_back(',');
      append_quoted(ex.title);
      csv.push_back(',');
      append_quoted(ex.description);
      csv.push_back('\n');
      want.push_back(ex);
    }
    const auto got = parse_ag_news_csv(csv, "mem");
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].label, want[i].label);
      EXPECT_EQ(got[i].title, want[i].title);
      EXPECT_EQ(got[i].description, want[i].description);
    }
  }
}

}  // namespace
}  // namespace bog::model
