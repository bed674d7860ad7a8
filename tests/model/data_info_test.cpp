// describe_ag_news_dir: counts per class, hashes and the official/partial/unknown verdict.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "model/data/ag_news_files.h"
#include "model/data/sha256.h"

namespace bog::model {
namespace {

TEST(DataInfo, CountsRowsPerClassAndFlagsUnknownFiles) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("bog_data_info_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string train = "\"1\",\"a\",\"b\"\n\"1\",\"\",\"c\"\n\"4\",\"d\",\"e\"\n";
  std::ofstream(dir / "train.csv", std::ios::binary) << train;
  const auto info = describe_ag_news_dir(dir);
  ASSERT_EQ(info.files.size(), 2u);
  const auto& t = info.files[0];
  EXPECT_EQ(t.name, "train.csv");
  EXPECT_EQ(t.rows, 3);
  EXPECT_EQ(t.rows_per_class, (std::array<int64_t, 4>{2, 0, 0, 1}));
  EXPECT_EQ(t.empty_titles, 1);
  EXPECT_EQ(t.sha256, sha256_hex(train));
  EXPECT_EQ(t.status, FileStatus::kUnknown);
  EXPECT_EQ(info.files[1].status, FileStatus::kMissing);
  const auto j = info.to_json();
  EXPECT_EQ(j["files"][0]["status"], "unknown");
  EXPECT_EQ(j["files"][1]["status"], "missing");
  EXPECT_NE(info.to_text().find("does not match any published"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(DataInfo, KnowsThePublishedAndThePartialHashes) {
  EXPECT_EQ(classify_ag_news_file("train.csv", kAgNewsTrainSha256), FileStatus::kOfficial);
  EXPECT_EQ(classify_ag_news_file("test.csv", kAgNewsTestSha256), FileStatus::kOfficial);
  EXPECT_EQ(classify_ag_news_file("train.csv", kAgNewsPartialTrainSha256),
            FileStatus::kPartialReconstruction);
  EXPECT_EQ(classify_ag_news_file("test.csv", kAgNewsTrainSha256), FileStatus::kUnknown);
}

}  // namespace
}  // namespace bog::model
