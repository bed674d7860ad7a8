// The benchmark config: parsing, overrides' validation, and latency summaries.
#include "bench/bench_config.h"

#include <gtest/gtest.h>

#include "bench/bench_stats.h"
#include "common/error.h"

namespace bog::bench {
namespace {

TEST(BenchConfig, ParsesEveryKey) {
  const BenchConfig c = parse_bench_config(
      "onnx: a.onnx\nbundle: b\nbackends: [eager, cuda]\nbatch: [1, 3]\nseq: 7\nthreads: [2]\n"
      "precision: fp32\nwarmup: 0\niterations: 3\nrounds: 3\nout: o\n",
      "t.yaml");
  EXPECT_EQ(c.onnx, "a.onnx");
  EXPECT_EQ(c.backends, (std::vector<std::string>{"eager", "cuda"}));
  EXPECT_EQ(c.batch, (std::vector<int>{1, 3}));
  EXPECT_EQ(c.seq, (std::vector<int>{7}));
  EXPECT_EQ(c.threads, (std::vector<int>{2}));
  EXPECT_EQ(c.rounds, 3);
  EXPECT_EQ(c.out, "o");
  EXPECT_TRUE(c.ort_spinning) << "ONNX Runtime is measured at its default (spinning on)";
}

TEST(BenchConfig, Bf16AndOrtSpinningAreKeys) {
  const BenchConfig c = parse_bench_config("precision: bf16\nort_spinning: false\n", "t.yaml");
  EXPECT_EQ(c.precision, "bf16");
  EXPECT_FALSE(c.ort_spinning);
}

TEST(BenchConfig, BadInputIsOneClearError) {
  for (const char* text : {"colour: red\n", "batch: [0]\n", "seq: []\n", "backends: [tpu]\n",
                           "iterations: 0\n", "rounds: 9\niterations: 2\n", "precision: int4\n",
                           "batch: [x]\n", "[1, 2]\n", "warmup: -1\n"}) {
    SCOPED_TRACE(text);
    try {
      (void)parse_bench_config(text, "t.yaml");
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kInvalidArgument);
      EXPECT_NE(std::string(e.what()).find("t.yaml"), std::string::npos) << e.what();
    }
  }
}

TEST(BenchStats, NearestRankPercentiles) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  const LatencyStats s = summarize(v);
  EXPECT_EQ(s.count, 100);
  EXPECT_DOUBLE_EQ(s.mean_ms, 50.5);
  EXPECT_DOUBLE_EQ(s.p50_ms, 50);
  EXPECT_DOUBLE_EQ(s.p95_ms, 95);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99);
  EXPECT_DOUBLE_EQ(s.min_ms, 1);
  EXPECT_DOUBLE_EQ(s.max_ms, 100);
  const LatencyStats one = summarize({3.5});
  EXPECT_DOUBLE_EQ(one.p99_ms, 3.5);
  EXPECT_DOUBLE_EQ(one.p50_ms, 3.5);
  EXPECT_THROW((void)summarize({}), Error);
}

}  // namespace
}  // namespace bog::bench
