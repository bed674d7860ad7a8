// `bog doctor`'s report as a library (bench/doctor_report.h).
#include "bench/doctor_report.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/build_paths.h"

namespace bog::bench {
namespace {
namespace fs = std::filesystem;

TEST(DoctorReport, NamesEveryProviderAndWhyOneIsUnavailable) {
  const nlohmann::json j = doctor_report(bog::source_dir());
  for (const char* key :
       {"compiler", "build_type", "sanitizers", "hardware_threads", "cpu", "providers", "cuda",
        "onnxruntime_reference", "data_paths", "conformance"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  bool reference = false;
  for (const auto& p : j["providers"]) {
    if (p["name"] == "reference") reference = p["available"].get<bool>();
    if (!p["available"].get<bool>()) {
      EXPECT_FALSE(p["unavailable_reason"].get<std::string>().empty()) << p.dump();
    }
  }
  EXPECT_TRUE(reference) << "the reference provider runs everywhere";
  EXPECT_EQ(j["cuda"]["available"].get<bool>(), j["cuda"]["reason"].get<std::string>().empty());
}

TEST(DoctorReport, LooksForFoldersBesideTheGivenSourceTree) {
  const fs::path root = fs::temp_directory_path() / "bog-doctor-no-such-tree";
  const nlohmann::json j = doctor_report(root / "src");
  EXPECT_FALSE(j["onnxruntime_reference"]["found"].get<bool>());
  const std::string expected = (root / "shared" / "data" / "ag_news").string();
  bool listed = false;
  for (const auto& d : j["data_paths"]) {
    if (d["path"] == expected) {
      listed = true;
      EXPECT_EQ(d["source"], "default");
      EXPECT_FALSE(d["found"].get<bool>());
    }
  }
  EXPECT_TRUE(listed) << j["data_paths"].dump();
}

}  // namespace
}  // namespace bog::bench
