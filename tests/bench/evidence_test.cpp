// Evidence: collect sanitizes; validate passes a clean folder and catches each planted defect.
#include "bench/evidence.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "bench/bench_report.h"
#include "bench/bench_runner.h"
#include "common/atomic_file.h"

namespace bog::bench {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

json row(const std::string& backend, const std::string& req, const std::string& used,
         const std::string& parity, double mean_ms) {
  json r;
  for (const std::string& f : row_fields()) r[f] = nullptr;
  for (const std::string& f : context_fields()) r[f] = nullptr;
  r["backend"] = backend;
  r["provider_requested"] = req;
  r["provider_used"] = used;
  r["fallback_reason"] = req == used ? "" : req + ": no CUDA device";
  r["batch"] = 8;
  r["seq_len"] = 128;
  r["threads"] = 1;
  r["parity_status"] = parity;
  r["note"] = req == used ? "" : std::string("ran on cpu: ") + kFallbackCaveat;
  if (parity_is_result(parity)) {
    r["mean_ms"] = mean_ms;
    r["p50_ms"] = mean_ms;
    r["samples_per_s"] = 8000.0 / mean_ms;
  }
  return r;
}

class Evidence : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("bog_evidence_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "run" / "bench");
    BenchResult r;
    r.sgemm_gflops = 40;
    r.ort_version = "1.30.0";
    r.rows.push_back(row("interpreter", "cpu", "cpu", "passed", 1.234));
    r.rows.push_back(row("interpreter", "cuda", "cpu", "passed", 1.5));
    r.rows.push_back(row("onnxruntime", "cpu", "cpu", "passed", 0.987));
    r.rows.push_back(row("interpreter", "reference", "reference", "failed", 0));
    // A note with an absolute path: collect must strip it.
    r.rows[3]["note"] = "parity failed: see " + (root_ / "run" / "x.txt").string();
    write_file_atomic(root_ / "run" / "bench" / "bench.json", bench_report_json(r).dump(2));
    const json parity = {{"passed", true},
                         {"artifact", "model.onnx"},
                         {"artifact_sha256", "ab"},
                         {"results", json::array({{{"provider_requested", "cpu"},
                                                   {"provider_used", "cpu"},
                                                   {"max_abs_diff", 1e-6},
                                                   {"argmax_agreement", 1.0},
                                                   {"passed", true}}})}};
    write_file_atomic(root_ / "run" / "model.onnx.parity.json", parity.dump(2));
    dir_ = root_ / "evidence";
    summary_ = collect_evidence(root_ / "run", dir_);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::vector<EvidenceIssue> validate(std::optional<fs::path> readme = std::nullopt,
                                      std::vector<std::string> forbid = {}) {
    ValidateOptions o;
    o.dir = dir_;
    o.readme = std::move(readme);
    o.forbidden_names = std::move(forbid);
    return validate_evidence(o);
  }
  static bool mentions(const std::vector<EvidenceIssue>& issues, const std::string& what) {
    for (const EvidenceIssue& i : issues) {
      if (i.problem.find(what) != std::string::npos) return true;
    }
    return false;
  }
  void edit_bench(const std::function<void(json&)>& f) {
    json j = json::parse(read_file(dir_ / "benchmark.json"));
    f(j);
    write_file_atomic(dir_ / "benchmark.json", j.dump(2));
  }

  fs::path root_, dir_;
  CollectSummary summary_;
};

std::string issues_text(const std::vector<EvidenceIssue>& v) {
  std::string s;
  for (const EvidenceIssue& i : v) s += i.file + ": " + i.problem + "\n";
  return s;
}

TEST_F(Evidence, CollectWritesASanitizedFolderThatValidates) {
  for (const char* f :
       {"index.md", "environment.md", "environment.json", "validation.md", "parity.md",
        "benchmark.md", "benchmark.json", "quantization.md", "warnings.md"}) {
    EXPECT_TRUE(fs::exists(dir_ / f)) << f;
  }
  EXPECT_EQ(summary_.bench_rows, 4);
  EXPECT_EQ(summary_.result_rows, 3);
  EXPECT_NE(read_file(dir_ / "quantization.md").find("none"), std::string::npos);
  EXPECT_NE(read_file(dir_ / "warnings.md").find(kFallbackCaveat), std::string::npos);
  const auto issues = validate();
  EXPECT_TRUE(issues.empty()) << issues_text(issues);
  EXPECT_EQ(read_file(dir_ / "benchmark.json").find(root_.string()), std::string::npos);
}

TEST_F(Evidence, AHandWrittenRealSizesSectionSurvivesANewCollection) {
  const std::string section = "## Real sizes\n\n| model | cpu |\n|---|---|\n| bert_base | 1.0 |\n";
  write_file_atomic(dir_ / "benchmark.md", read_file(dir_ / "benchmark.md") + "\n" + section);
  (void)collect_evidence(root_ / "run", dir_);
  const std::string md = read_file(dir_ / "benchmark.md");
  EXPECT_EQ(md.rfind("# Benchmark matrix", 0), 0u) << md;
  EXPECT_NE(md.find(section), std::string::npos) << md;
  EXPECT_EQ(md.find("## Real sizes"), md.rfind("## Real sizes")) << "kept once, not appended again";
}

TEST_F(Evidence, AccuracyReportsBecomeATableBesideTheBaseline) {
  EXPECT_FALSE(fs::exists(dir_ / "accuracy.md"));
  EXPECT_NE(read_file(dir_ / "warnings.md").find("No accuracy figures"), std::string::npos);
  fs::create_directories(root_ / "run" / "accuracy");
  write_file_atomic(root_ / "run" / "accuracy" / "eval_tiny.json",
                    json{{"schema", "bog-eval 1"},
                         {"model", "agnews-tiny-llama"},
                         {"architecture", "tiny_llama"},
                         {"split", "test"},
                         {"accuracy", 0.91234},
                         {"macro_f1", 0.9101},
                         {"ece", 0.0123},
                         {"nll", 0.2511},
                         {"n", 7600},
                         {"train_rows", 51506},
                         {"train_sha256", "efaa3ddaabe5f414efed"}}
                        .dump());
  write_file_atomic(root_ / "run" / "accuracy" / "baseline.json", json{{"model", "baseline"},
                                                                       {"split", "test"},
                                                                       {"accuracy", 0.9078},
                                                                       {"macro_f1", 0.9076},
                                                                       {"n", 7600}}
                                                                      .dump());
  const CollectSummary s = collect_evidence(root_ / "run", dir_);
  EXPECT_EQ(s.eval_reports, 2);
  const std::string md = read_file(dir_ / "accuracy.md");
  EXPECT_NE(md.find("| agnews-tiny-llama | tiny_llama | test | 7600 | 0.9123 | 0.9101 | 0.0123 | "
                    "0.2511 | 51506 | efaa3ddaabe5 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| baseline | ? | test | 7600 | 0.9078 | 0.9076 | - | - |"), std::string::npos)
      << md;
  EXPECT_EQ(read_file(dir_ / "warnings.md").find("No accuracy figures"), std::string::npos);
  const auto issues = validate();
  EXPECT_TRUE(issues.empty()) << issues_text(issues);
}

// Planted absolute paths are assembled at run time so the repository itself carries none.
std::string abs_path(const std::string& rest) { return std::string(1, '/') + rest; }

TEST_F(Evidence, CatchesAnAbsolutePath) {
  write_file_atomic(dir_ / "notes.md", "model at " + abs_path("home/someone/models/x.onnx") + "\n");
  EXPECT_TRUE(mentions(validate(), "absolute path"));
  write_file_atomic(dir_ / "notes.md", "see ~" + abs_path("runs/pipeline") + "\n");
  EXPECT_TRUE(mentions(validate(), "absolute path"));
  write_file_atomic(dir_ / "notes.md", "GFLOP/s, samples/s, http://example.org/a, 3/4\n");
  EXPECT_FALSE(mentions(validate(), "absolute path")) << issues_text(validate());
}

TEST_F(Evidence, CatchesAUserOrHostName) {
  write_file_atomic(dir_ / "notes.md", "measured on zorblax-7 by someone\n");
  EXPECT_TRUE(mentions(validate(std::nullopt, {"zorblax-7"}), "user or host name"));
  for (const std::string& n : local_identity_names()) {
    SCOPED_TRACE(n);
    write_file_atomic(dir_ / "notes.md", "host: " + n + "\n");
    EXPECT_TRUE(mentions(validate(), "user or host name"));
  }
}

TEST_F(Evidence, CatchesAFallbackRowWithoutItsCaveat) {
  edit_bench([](json& j) { j["rows"][1]["note"] = "ran fine"; });
  EXPECT_TRUE(mentions(validate(), "caveat"));
}

TEST_F(Evidence, CatchesATimedRowWithoutPassingParity) {
  edit_bench([](json& j) { j["rows"][3]["mean_ms"] = 2.5; });
  EXPECT_TRUE(mentions(validate(), "reported as a result"));
  edit_bench([](json& j) {
    j["rows"][3]["mean_ms"] = nullptr;
    j["rows"][0]["parity_status"] = "missing";
  });
  EXPECT_TRUE(mentions(validate(), "reported as a result"));
}

TEST_F(Evidence, CatchesAQuantizationSummaryWithoutSizeAndLatency) {
  write_file_atomic(dir_ / "quantization.json",
                    json{{"state", "present"},
                         {"artifacts", json::array({{{"file", "q.onnx"}, {"size_mb", 0.5}}})}}
                        .dump());
  EXPECT_TRUE(mentions(validate(), "size and latency"));
  write_file_atomic(dir_ / "quantization.json",
                    json{{"state", "present"},
                         {"artifacts", json::array({{{"file", "q.onnx"}, {"mean_ms", 0.5}}})}}
                        .dump());
  EXPECT_TRUE(mentions(validate(), "size and latency"));
  write_file_atomic(
      dir_ / "quantization.json",
      json{{"state", "present"},
           {"artifacts", json::array({{{"file", "q.onnx"}, {"size_mb", 0.5}, {"mean_ms", 0.25}}})}}
          .dump());
  EXPECT_TRUE(validate().empty()) << issues_text(validate());
}

TEST_F(Evidence, CatchesAReadmeFigureNotInTheEvidence) {
  const fs::path readme = root_ / "README.md";
  write_file_atomic(
      readme,
      "# Project\n\nSpeed 99.125 elsewhere is not checked.\n\n## Results\n\n"
      "cpu: 1.234 ms at batch 8, seq 128 (fp32); ORT 0.987 ms.\n\n## Build\n\n77.7\n");
  EXPECT_TRUE(validate(readme).empty()) << issues_text(validate(readme));
  write_file_atomic(readme, "## Results\n\ncpu: 1.234 ms; ORT 0.555 ms.\n");
  const auto issues = validate(readme);
  EXPECT_TRUE(mentions(issues, "0.555")) << issues_text(issues);
  EXPECT_FALSE(mentions(issues, "1.234"));
}

TEST_F(Evidence, ReadmeFiguresMatchOnlyAsWholeNumbersWithTheirUnits) {
  write_file_atomic(
      dir_ / "figures.md",
      "Model size 2.5 MiB.\n51506 rows, speedups 73.25 and 3.2517, 11.004 and 1.005.\n\n"
      "| batch | mean ms | size MiB |\n|---|---|---|\n| 8 | 0.903 | 6.25 |\n");
  const fs::path readme = root_ / "README.md";
  write_file_atomic(
      readme,
      "## Results\n\n2.5 MiB on disk; 51506 rows; 73.25 and 3.2517 times; 0.903 ms; 6.25 "
      "MiB; the full 120k-row file.\n");
  EXPECT_TRUE(validate(readme).empty()) << issues_text(validate(readme));

  // Each is part of a longer number in the evidence, or the right number with another unit.
  for (const char* figure : {"3.25", "0.98 ms", "1.004", "5150", "8 ms", "2.5 ms", "51506 MiB",
                             "0.903 MiB", "6.25 ms"}) {
    SCOPED_TRACE(figure);
    write_file_atomic(readme, std::string("## Results\n\nWe measured ") + figure + ".\n");
    const auto issues = validate(readme);
    ASSERT_EQ(issues.size(), 1u) << issues_text(issues);
    EXPECT_TRUE(mentions(issues, std::string("results figure ") + figure)) << issues_text(issues);
  }
}

TEST(Sanitize, StripsPathsAndNames) {
  EXPECT_EQ(sanitize("file " + abs_path("srv/main/runs/model.onnx") + " ok", {}),
            "file model.onnx ok");
  EXPECT_EQ(sanitize("by alice on alicebox", {"alice"}), "by <redacted> on alicebox");
  EXPECT_FALSE(find_absolute_path(sanitize("a=" + abs_path("x/y") + " \"" + abs_path("z") +
                                               "\" (~" + abs_path("q") + ")",
                                           {}))
                   .has_value());
}

}  // namespace
}  // namespace bog::bench
