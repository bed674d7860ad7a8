// bench/pipeline.h's checks before any step runs (the full pipeline runs end to end in
// tests/cli/pipeline_test.cpp).
#include "bench/pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"

namespace bog::bench {
namespace {
namespace fs = std::filesystem;

struct Tmp {
  fs::path dir = fs::temp_directory_path() / ("bog-pipeline-test-" + std::to_string(::getpid()));
  ~Tmp() { fs::remove_all(dir); }
};

void expect_invalid(const PipelineOptions& o, const std::string& words) {
  std::string logged;
  try {
    (void)run_pipeline(o, [&](const std::string& s) { logged += s; });
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
  EXPECT_EQ(logged, "") << "no step starts before the options are checked";
}

TEST(Pipeline, RefusesEvidenceInsideTheRunFolderAndStaleReportsGo) {
  const Tmp tmp;
  PipelineOptions o;
  o.out = (tmp.dir / "run").string();
  o.evidence = (tmp.dir / "run" / "evidence").string();
  fs::create_directories(tmp.dir / "run" / "bench");
  expect_invalid(o, "--evidence must not be inside --out");
  EXPECT_FALSE(fs::exists(tmp.dir / "run" / "bench")) << "a previous run's reports are removed";
}

TEST(Pipeline, AlsoEvalNeedsData) {
  const Tmp tmp;
  PipelineOptions o;
  o.out = (tmp.dir / "run").string();
  o.evidence = (tmp.dir / "evidence").string();
  o.also_eval = {"models/agnews-modern"};
  expect_invalid(o, "--also-eval needs --data");
}

}  // namespace
}  // namespace bog::bench
