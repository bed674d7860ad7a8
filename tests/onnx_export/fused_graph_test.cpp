// The shipped bundles' exports on the fused cpu provider: the fusions fire (attention, RoPE,
// norms, GEMM epilogues), the fused graph matches the unfused graph on the reference provider
// on random shapes (batch 1 and odd batches, seq 1, odd and full-length sequences, padding),
// and after warm-up a run with a fixed input shape makes zero heap allocations.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>

#include "common/build_paths.h"
#include "onnx_export/exporter.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/session.h"
#include "tests/common/allocation_counter.h"

namespace bog::runtime {
namespace {
namespace fs = std::filesystem;

struct BundleCase {
  const char* dir;
  std::vector<std::string> fused_ops;  // must appear in the optimized graph
};

class FusedGraph : public ::testing::TestWithParam<BundleCase> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bog_fused_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    onnx_path_ = dir_ / "model.onnx";
    onnx_export::export_bundle(fs::path(bog::source_dir()) / GetParam().dir, onnx_path_, {});
  }
  void TearDown() override { fs::remove_all(dir_); }

  Session session(const std::string& provider, bool optimize, int threads = 1,
                  int batch_chunk = -1) const {
    SessionOptions o;
    o.providers = {provider};
    o.optimize = optimize;
    o.threads = threads;
    o.batch_chunk = batch_chunk;
    return Session::from_file(onnx_path_, o);
  }

  // Token ids in [1, 16000) and a mask whose rows have random real lengths (at least 1).
  static std::vector<Tensor> feeds(int64_t batch, int64_t seq, uint32_t seed, bool padded) {
    std::mt19937 rng(seed);
    Tensor ids(DType::kInt64, {batch, seq});
    Tensor mask(DType::kInt64, {batch, seq});
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t len = padded ? 1 + static_cast<int64_t>(rng() % seq) : seq;
      for (int64_t t = 0; t < seq; ++t) {
        ids.data<int64_t>()[b * seq + t] = t < len ? 1 + static_cast<int64_t>(rng() % 15999) : 0;
        mask.data<int64_t>()[b * seq + t] = t < len ? 1 : 0;
      }
    }
    std::vector<Tensor> out;
    out.push_back(std::move(ids));
    out.push_back(std::move(mask));
    return out;
  }

  fs::path dir_, onnx_path_;
};

TEST_P(FusedGraph, FusionsFireOnTheExport) {
  const Session s = session("cpu", true);
  std::map<std::string, int> ops;
  for (const Node& n : s.model().graph.nodes) ++ops[n.op_type];
  for (const std::string& op : GetParam().fused_ops) {
    EXPECT_GT(ops[op], 0) << op << " did not fire";
  }
  EXPECT_EQ(ops["Softmax"], 0) << "attention was not fused";
  EXPECT_EQ(ops["MatMul"], 0) << "a MatMul was left unfused";
  const auto report = s.optimization_report();
  EXPECT_LT(report.nodes_after * 10, report.nodes_before * 6);  // at most 60% remain
}

TEST_P(FusedGraph, MatchesTheUnfusedGraphOnReference) {
  Session fused = session("cpu", true, 2);
  Session plain = session("reference", false);
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{1, 1},   {1, 128}, {3, 7}, {5, 33},
                                                           {2, 128}, {1, 17},  {3, 7}};
  uint32_t seed = 3;
  for (const auto& [batch, seq] : shapes) {
    for (const bool padded : {false, true}) {
      SCOPED_TRACE(::testing::Message()
                   << "batch " << batch << " seq " << seq << " padded " << padded);
      std::vector<Tensor> in = feeds(batch, seq, seed++, padded);
      std::vector<Tensor> got, want;
      fused.run(in, got);
      fused.run(in, got);  // the planned run of this shape
      plain.run(in, want);
      ASSERT_EQ(got.size(), 1u);
      ASSERT_EQ(got[0].shape(), want[0].shape());
      for (int64_t i = 0; i < got[0].numel(); ++i) {
        ASSERT_NEAR(got[0].data<float>()[i], want[0].data<float>()[i], 1e-4f) << "logit " << i;
      }
    }
  }
}

TEST_P(FusedGraph, SteadyStateRunsMakeNoHeapAllocation) {
  if (!test::kCountingAllocations)
    GTEST_SKIP() << "ASan build: malloc is the sanitizer's, not counted";
  for (const int threads : {1, 2}) {
    Session s = session("cpu", true, threads);
    std::vector<Tensor> in = feeds(4, 32, 11, true);
    std::vector<Tensor> out;
    // Record, plan, first planned run; with 2 threads more runs, so that every pool worker has
    // grown its thread-local attention scratch (which worker takes which lane is the pool's
    // choice: 3 runs left one cold now and then, 2 allocations of it, in a loaded make test).
    for (int i = 0; i < 3 + 10 * (threads - 1); ++i) s.run(in, out);
    const std::vector<float> first(out[0].data<float>(), out[0].data<float>() + out[0].numel());
    long allocations = 0;
    {
      const test::AllocationCounter counter;
      for (int i = 0; i < 5; ++i) s.run(in, out);
      allocations = counter.count();
    }
    EXPECT_EQ(allocations, 0) << threads << " thread(s)";
    EXPECT_GT(s.optimization_report().planned_peak_bytes, 0);
    for (int64_t i = 0; i < out[0].numel(); ++i)
      EXPECT_EQ(out[0].data<float>()[i], first[static_cast<size_t>(i)]);
    // A new shape re-plans (allocating once) and still gives the unplanned answer.
    std::vector<Tensor> other = feeds(2, 9, 12, true);
    std::vector<Tensor> a, b;
    s.run(other, a);
    s.run(other, b);
    for (int64_t i = 0; i < a[0].numel(); ++i)
      EXPECT_EQ(a[0].data<float>()[i], b[0].data<float>()[i]);
  }
}

// Large batches run in cache-sized chunks (batch_split.h): the whole batch's logits, to float
// rounding (bit for bit in the Release build; a chunk's GEMM edge tiles may round differently
// in other builds).
TEST_P(FusedGraph, SplitBatchesGiveTheWholeBatchLogits) {
  Session whole = session("cpu", true, 1, 0);
  ASSERT_TRUE(whole.optimization_report().batch_split)
      << whole.optimization_report().batch_split_reason;
  std::vector<Tensor> in = feeds(7, 33, 21, true);
  std::vector<Tensor> want;
  whole.run(in, want);
  for (const int threads : {1, 2}) {
    for (const int chunk : {1, 2, 3, -1}) {
      SCOPED_TRACE(::testing::Message() << threads << " thread(s), chunk " << chunk);
      Session split = session("cpu", true, threads, chunk);
      for (int rep = 0; rep < 2; ++rep) {
        std::vector<Tensor> got;
        split.run(in, got);
        ASSERT_EQ(got[0].shape(), want[0].shape());
        for (int64_t i = 0; i < got[0].numel(); ++i) {
          ASSERT_NEAR(got[0].data<float>()[i], want[0].data<float>()[i], 1e-5f) << "logit " << i;
        }
      }
      EXPECT_TRUE(split.optimization_report().batch_split);
    }
  }
}

TEST_P(FusedGraph, SplitRunsMakeNoHeapAllocation) {
  if (!test::kCountingAllocations)
    GTEST_SKIP() << "ASan build: malloc is the sanitizer's, not counted";
  for (const int threads : {1, 2}) {
    Session s = session("cpu", true, threads, 3);  // 8 = 3 + 3 + 2: two plans in turn
    std::vector<Tensor> in = feeds(8, 32, 13, true);
    std::vector<Tensor> out;
    // Each pool worker's thread-local kernel scratch grows the first time that worker runs a
    // chunk; which worker takes which chunk is the pool's choice, so three warm-up runs left a
    // worker cold now and then (1 allocation, in 2-thread runs under load). Warm every worker.
    for (int i = 0; i < 3 + 10 * (threads - 1); ++i) s.run(in, out);
    long allocations = 0;
    {
      const test::AllocationCounter counter;
      for (int i = 0; i < 5; ++i) s.run(in, out);
      allocations = counter.count();
    }
    EXPECT_EQ(allocations, 0) << threads << " thread(s)";
  }
}

INSTANTIATE_TEST_SUITE_P(
    ShippedBundles, FusedGraph,
    ::testing::Values(
        BundleCase{"models/agnews-tiny-llama", {"Attention", "Rope", "RmsNorm", "FusedMatMul"}},
        BundleCase{"models/agnews-modern", {"Attention", "FusedMatMul", "LayerNormalization"}}),
    [](const ::testing::TestParamInfo<BundleCase>& info) {
      return std::string(info.param.dir).find("llama") != std::string::npos
                 ? std::string("TinyLlama")
                 : std::string("Modern");
    });

}  // namespace
}  // namespace bog::runtime
