// The matrix on a tiny trained bundle and its export: every row has every field, rows without
// passing parity show no timings, and a cuda row names what ran and carries the caveat.
// Nothing here depends on how fast anything is.
#include "bench/bench_runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bench/bench_report.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "model/bundle.h"
#include "model/data/sha256.h"
#include "model/train/trainer.h"
#include "onnx_export/exporter.h"
#include "parity/model_parity.h"
#include "tests/common/topic_data.h"

namespace bog::bench {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// Trains a 1-epoch toy model on topic-word data and exports it; shared by the tests below.
class TinyModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("bog_bench_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    test_data::write_topic_csvs(root_ / "data", 96, 24, 11);
    write_file_atomic(root_ / "model.yaml",
                      "architecture: tiny_llama\nvocab_size: 40\nd_model: 8\nn_heads: 2\n"
                      "n_kv_heads: 1\nd_ff: 12\nmax_len: 16\ndropout: 0.0\n");
    write_file_atomic(root_ / "train.yaml",
                      "epochs: 1\nbatch_size: 8\nlr: 0.01\nwarmup_steps: 1\nvalid_fraction: 0.2\n"
                      "checkpoint_every: 100\nkeep_last: 1\nlog_every: 100\nthreads: 1\n");
    model::TrainOptions o;
    o.model_config = root_ / "model.yaml";
    o.train_config = root_ / "train.yaml";
    o.data_dir = root_ / "data";
    o.out_dir = root_ / "run";
    o.command = "test";
    o.quiet = true;
    const model::TrainSummary s = model::run_training(o);
    (void)model::write_bundle(s.best_checkpoint, root_ / "bundle");
    (void)onnx_export::export_bundle(root_ / "bundle", root_ / "model.onnx", {});
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  void SetUp() override { fs::remove(parity::parity_report_path(root_ / "model.onnx")); }

  static BenchConfig config(std::vector<std::string> backends) {
    BenchConfig c;
    c.onnx = root_ / "model.onnx";
    c.bundle = root_ / "bundle";
    c.backends = std::move(backends);
    c.batch = {1, 3};
    c.seq = {5, 16, 17};  // 17 > max_len
    c.threads = {1};
    c.warmup = 0;
    c.iterations = 2;
    c.rounds = 2;
    return c;
  }
  static void write_parity(bool cpu_passes) {
    parity::ParityRequest r;
    r.bundle = root_ / "bundle";
    r.onnx = root_ / "model.onnx";
    r.providers = {"reference", "cpu"};
    r.samples = 6;
    r.batch_sizes = {1, 4};
    parity::ParityReport rep = parity::run_model_parity(r);
    ASSERT_TRUE(rep.passed);
    if (!cpu_passes) {
      rep.results[1].passed = false;
      rep.passed = false;
    }
    parity::write_parity_report(root_ / "model.onnx", rep);
  }
  static const json* find(const json& rows, const std::string& req, int batch, int seq) {
    for (const json& r : rows) {
      if (r["provider_requested"] == req && r["batch"] == batch && r["seq_len"] == seq) return &r;
    }
    return nullptr;
  }

  static fs::path root_;
};
fs::path TinyModel::root_;

void expect_fields(const json& row) {
  for (const std::string& f : row_fields()) EXPECT_TRUE(row.contains(f)) << f;
  for (const std::string& f : context_fields()) EXPECT_TRUE(row.contains(f)) << f;
  EXPECT_EQ(row.size(), row_fields().size() + context_fields().size()) << row.dump();
}

TEST_F(TinyModel, EveryRowHasEveryFieldAndMissingParityHidesTimings) {
  const BenchResult r = run_bench(config({"eager", "reference", "cpu", "cuda"}), nullptr);
  ASSERT_EQ(r.rows.size(), 4u * 2 * 3);
  for (const json& row : r.rows) {
    SCOPED_TRACE(row.dump());
    expect_fields(row);
    const bool too_long = row["seq_len"] == 17;
    if (row["backend"] == "eager") {
      EXPECT_EQ(row["parity_status"], "reference");
      EXPECT_EQ(row["mean_ms"].is_number(), !too_long);
      EXPECT_TRUE(row["checkpoint_loaded"].get<bool>());
      EXPECT_FALSE(row["random_init_used"].get<bool>());
    } else {
      EXPECT_EQ(row["parity_status"], "missing");
      for (const std::string& f : timing_fields()) EXPECT_TRUE(row[f].is_null()) << f;
      EXPECT_NE(row["note"].get<std::string>().find("no timings"), std::string::npos);
    }
    EXPECT_GT(row["flops_per_sample"].get<double>(), 0);
    EXPECT_EQ(row["flops_source"], "architecture");
    EXPECT_EQ(row["architecture"], "tiny_llama");
    EXPECT_GT(row["parameters"].get<int64_t>(), 0);
  }
  EXPECT_GT(r.sgemm_gflops, 0);
  EXPECT_GT(r.gemm_peak_gflops, 0);
  EXPECT_GT(r.fma_peak_gflops, 0);
}

TEST_F(TinyModel, PassingParityShowsTimingsAndFailedParityHidesThem) {
  write_parity(/*cpu_passes=*/false);
  const BenchResult r = run_bench(config({"reference", "cpu"}), nullptr);
  for (const int batch : {1, 3}) {
    for (const int seq : {5, 16}) {
      SCOPED_TRACE(testing::Message() << "batch " << batch << " seq " << seq);
      const json* ref = find(r.rows, "reference", batch, seq);
      const json* cpu = find(r.rows, "cpu", batch, seq);
      ASSERT_TRUE(ref && cpu);
      EXPECT_EQ((*ref)["parity_status"], "passed");
      EXPECT_TRUE((*ref)["mean_ms"].is_number());
      EXPECT_TRUE((*ref)["p99_ms"].is_number());
      EXPECT_EQ((*ref)["provider_used"], "reference");
      EXPECT_EQ((*cpu)["parity_status"], "failed");
      for (const std::string& f : timing_fields()) EXPECT_TRUE((*cpu)[f].is_null()) << f;
    }
  }
  const json report = bench_report_json(r);
  for (const json& s : report["summary"]) EXPECT_NE(s["provider_requested"], "cpu");
}

TEST_F(TinyModel, CudaRowNamesWhatRanAndCarriesTheCaveat) {
  write_parity(/*cpu_passes=*/true);
  const BenchResult r = run_bench(config({"cpu", "cuda"}), nullptr);
  const json* cuda = find(r.rows, "cuda", 3, 16);
  ASSERT_TRUE(cuda);
  SCOPED_TRACE(cuda->dump());
  EXPECT_EQ((*cuda)["backend"], "interpreter");
  EXPECT_NE((*cuda)["provider_used"], "cuda");
  EXPECT_EQ((*cuda)["provider_used"].get<std::string>().find("cuda"), std::string::npos);
  EXPECT_FALSE((*cuda)["fallback_reason"].get<std::string>().empty());
  EXPECT_NE((*cuda)["note"].get<std::string>().find(kFallbackCaveat), std::string::npos);
  // The cpu provider ran it and passed parity, so its timings stand, with the caveat.
  EXPECT_EQ((*cuda)["parity_status"], "passed");
  EXPECT_TRUE((*cuda)["mean_ms"].is_number());
}

TEST_F(TinyModel, ReportsCarryEveryRow) {
  const BenchResult r = run_bench(config({"eager", "cuda"}), nullptr);
  const json report = bench_report_json(r);
  const fs::path out = root_ / "report";
  write_bench_outputs(report, out);
  for (const char* f : {"bench.json", "bench.csv", "bench.md", "bench.svg"}) {
    EXPECT_TRUE(fs::exists(out / f)) << f;
  }
  const std::string csv = read_file(out / "bench.csv");
  EXPECT_EQ(static_cast<size_t>(std::count(csv.begin(), csv.end(), '\n')), r.rows.size() + 1);
  EXPECT_EQ(csv.substr(0, csv.find(',')), "backend");
  EXPECT_NE(read_file(out / "bench.svg").find("</svg>"), std::string::npos);
  const std::string md = read_file(out / "bench.md");
  EXPECT_NE(md.find("| interp:cuda | cuda |"), std::string::npos) << md;
}

TEST_F(TinyModel, AnArtifactAloneStillGetsFlopsFromItsMetadata) {
  write_parity(/*cpu_passes=*/true);
  const BenchResult with_bundle = run_bench(config({"cpu"}), nullptr);
  BenchConfig c = config({"cpu"});
  c.bundle = "";
  const BenchResult r = run_bench(c, nullptr);
  const json* cpu = find(r.rows, "cpu", 3, 16);
  ASSERT_TRUE(cpu);
  SCOPED_TRACE(cpu->dump());
  // The same FLOP count the bundle gives.
  ASSERT_TRUE((*cpu)["flops_per_sample"].is_number());
  EXPECT_DOUBLE_EQ((*cpu)["flops_per_sample"].get<double>(),
                   (*find(with_bundle.rows, "cpu", 3, 16))["flops_per_sample"].get<double>());
  EXPECT_TRUE((*cpu)["mean_ms"].is_number());
  EXPECT_GT((*cpu)["gflops"].get<double>(), 0);
  // Its share of the packed GEMM's peak, measured in the same run.
  ASSERT_TRUE((*cpu)["gemm_peak_fraction"].is_number());
  EXPECT_DOUBLE_EQ((*cpu)["gemm_peak_fraction"].get<double>(),
                   (*cpu)["gflops"].get<double>() / r.gemm_peak_gflops);
  // 17 > max_len (16), known from the metadata too: no timings for that cell.
  const json* too_long = find(r.rows, "cpu", 3, 17);
  ASSERT_TRUE(too_long);
  EXPECT_TRUE((*too_long)["mean_ms"].is_null());
}

TEST(BenchRunner, NothingToRunIsAnError) {
  BenchConfig c;
  c.onnx = "";
  c.bundle = "";
  EXPECT_THROW((void)run_bench(c, nullptr), Error);
  c.onnx = "/nonexistent/x.onnx";
  EXPECT_THROW((void)run_bench(c, nullptr), Error);
}

TEST(BenchFlops, GrowsWithSequence) {
  const FlopModel m{8, 1, 2, 1, 12, 4, 3};
  const double a = forward_flops_per_sample(m, 4);
  const double b = forward_flops_per_sample(m, 8);
  EXPECT_GT(a, 0);
  EXPECT_GT(b, 2 * a - 2.0 * 8 * 4);  // linear parts double, attention quadruples
  EXPECT_EQ(forward_flops_per_sample(FlopModel{}, 4), 0);
}

}  // namespace
}  // namespace bog::bench
