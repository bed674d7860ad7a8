// The bf16 GEMM (every bf16 kernel this CPU can run) against plain loops over the same
// bf16-rounded operands: random shapes with 0, 1, odd sizes, tile and k-block remainders, batch
// 1, every epilogue, transposed packing, 1 and 2 threads (bit-identical); the rounding itself
// (nearest even, NaN, infinities) scalar against vectorised; and its error against fp32.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "onnx_runtime/providers/cpu/gemm/bf16_gemm.h"
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

float rounded(float v) { return bf16_to_float(float_to_bf16(v)); }

float reference_activation(Activation act, float v) {
  switch (act) {
    case Activation::kRelu:
      return v > 0 ? v : 0;
    case Activation::kGeluErf:
      return 0.5f * v * (1.0f + std::erf(v / std::sqrt(2.0f)));
    case Activation::kSilu:
      return v / (1.0f + std::exp(-v));
    default:
      break;
  }
  return v;
}

std::vector<Bf16Isa> supported_isas() {
  std::vector<Bf16Isa> out;
  for (Bf16Isa isa : {Bf16Isa::kAvx512Bf16, Bf16Isa::kAmx}) {
    if (bf16_isa_supported(isa)) out.push_back(isa);
  }
  return out;
}

TEST(Bf16Rounding, NearestEvenAndSpecialValues) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(float_to_bf16(-2.0f), 0xC000);
  // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
  EXPECT_EQ(float_to_bf16(1.0f + 0.00390625f), 0x3F80);
  // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 (odd) and 1 + 2^-6: goes up to the even one.
  EXPECT_EQ(float_to_bf16(1.0f + 3 * 0.00390625f), 0x3F82);
  EXPECT_EQ(float_to_bf16(1.0f + 0.0040f), 0x3F81);  // just above halfway
  EXPECT_EQ(float_to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_EQ(float_to_bf16(-std::numeric_limits<float>::infinity()), 0xFF80);
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(float_to_bf16(3.4e38f), 0x7F80);  // rounds past the largest bf16 to infinity
  EXPECT_EQ(bf16_to_float(0x3F80), 1.0f);
}

TEST(Bf16Rounding, VectorisedEqualsScalarOnEveryKindOfValue) {
  std::vector<float> v = random_vector(1000, 7, -1e4f, 1e4f);
  const float specials[] = {0.0f,
                            -0.0f,
                            1e-40f,
                            -1e-42f,
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN(),
                            3.4e38f,
                            1.00390625f};
  v.insert(v.end(), std::begin(specials), std::end(specials));
  for (int64_t n :
       {int64_t{0}, int64_t{1}, int64_t{15}, int64_t{17}, static_cast<int64_t>(v.size())}) {
    std::vector<uint16_t> got(static_cast<size_t>(n) + 1, 0xABCD);
    round_to_bf16(v.data() + v.size() - static_cast<size_t>(n), got.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(got[static_cast<size_t>(i)],
                float_to_bf16(v[v.size() - static_cast<size_t>(n) + static_cast<size_t>(i)]))
          << "n=" << n << " i=" << i;
    }
    EXPECT_EQ(got[static_cast<size_t>(n)], 0xABCD) << "wrote past n";
  }
}

struct Case {
  int64_t m, n, k;
};

TEST(Bf16Gemm, MatchesPlainLoopsOnRoundedOperandsForEveryKernelAndEpilogue) {
  if (supported_isas().empty())
    GTEST_SKIP() << "no bf16 kernel here: " << bf16_unavailable_reason();
  const std::vector<Case> cases = {{1, 1, 1},
                                   {0, 5, 3},
                                   {3, 0, 4},
                                   {2, 3, 0},
                                   {1, 96, 96},
                                   {7, 33, 5},
                                   {8, 32, 32},
                                   {9, 17, 33},
                                   {16, 31, 64},
                                   {17, 65, 31},
                                   {33, 40, 100},
                                   {1, 300, 768},
                                   // above the single-thread size: row chunks, panel groups
                                   {301, 161, 97},
                                   {9, 1200, 400},
                                   {130, 96, 1100}};
  ThreadPool pool(2);
  uint32_t seed = 11;
  for (const Bf16Isa isa : supported_isas()) {
    for (const Case& c : cases) {
      for (const Activation act : {Activation::kNone, Activation::kGeluErf, Activation::kSilu}) {
        for (const bool transposed : {false, true}) {
          SCOPED_TRACE(::testing::Message()
                       << bf16_isa_name(isa) << " m=" << c.m << " n=" << c.n << " k=" << c.k
                       << " act=" << static_cast<int>(act) << " transposed=" << transposed);
          const int64_t lda = c.k + 3;  // A read with a row stride, as a slice of a wider tensor
          const auto a =
              random_vector(static_cast<size_t>(std::max<int64_t>(c.m * lda, 1)), seed++);
          const auto b = random_vector(static_cast<size_t>(c.k * c.n), seed++);
          const auto bias = random_vector(static_cast<size_t>(c.n), seed++);
          const auto mul = random_vector(static_cast<size_t>(c.m * c.n), seed++);
          const auto res = random_vector(static_cast<size_t>(c.m * c.n), seed++);
          PackedBf16Matrix packed(b.data(), c.k, c.n, transposed ? c.k : c.n, transposed);
          Epilogue ep;
          ep.bias = bias.data();
          ep.activation = act;
          ep.multiplier = act == Activation::kSilu ? mul.data() : nullptr;
          ep.ldm = c.n;
          ep.residual = act == Activation::kNone ? res.data() : nullptr;
          ep.ldr = c.n;
          std::vector<float> one(static_cast<size_t>(c.m * c.n), NAN);
          std::vector<float> two(one.size(), NAN);
          gemm_bf16(isa, c.m, a.data(), lda, packed, one.data(), c.n, ep, nullptr);
          gemm_bf16(isa, c.m, a.data(), lda, packed, two.data(), c.n, ep, &pool);
          for (int64_t i = 0; i < c.m; ++i) {
            for (int64_t j = 0; j < c.n; ++j) {
              double acc = bias[static_cast<size_t>(j)];
              double mag = std::fabs(acc);
              for (int64_t kk = 0; kk < c.k; ++kk) {
                const float bv = transposed ? b[static_cast<size_t>(j * c.k + kk)]
                                            : b[static_cast<size_t>(kk * c.n + j)];
                const double t =
                    static_cast<double>(rounded(a[static_cast<size_t>(i * lda + kk)])) *
                    rounded(bv);
                acc += t;
                mag += std::fabs(t);
              }
              const size_t o = static_cast<size_t>(i * c.n + j);
              float want = reference_activation(act, static_cast<float>(acc));
              if (ep.multiplier != nullptr) want *= mul[o];
              if (ep.residual != nullptr) want += res[o];
              // fp32 accumulation in another order: within a few ulps of the magnitude summed.
              ASSERT_NEAR(one[o], want, 1e-5 * (mag + 1.0) + 2e-6 * std::fabs(want))
                  << "i=" << i << " j=" << j;
              ASSERT_EQ(one[o], two[o]) << "thread count changed the result";
            }
          }
        }
      }
    }
  }
}

TEST(Bf16Gemm, WritesOnlyItsOutputAndStaysNearFp32) {
  if (supported_isas().empty())
    GTEST_SKIP() << "no bf16 kernel here: " << bf16_unavailable_reason();
  for (const Bf16Isa isa : supported_isas()) {
    // Guard columns around a strided output: a stray store past n fails here.
    const int64_t m = 37, n = 19, k = 70, ldc = 40;
    const auto a = random_vector(static_cast<size_t>(m * k), 3);
    const auto b = random_vector(static_cast<size_t>(k * n), 4);
    PackedBf16Matrix packed(b.data(), k, n, n, false);
    std::vector<float> c(static_cast<size_t>(m * ldc), 12345.0f);
    gemm_bf16(isa, m, a.data(), k, packed, c.data(), ldc, Epilogue{}, nullptr);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = n; j < ldc; ++j) {
        ASSERT_EQ(c[static_cast<size_t>(i * ldc + j)], 12345.0f) << bf16_isa_name(isa);
      }
      for (int64_t j = 0; j < n; ++j) {
        double exact = 0, mag = 0;
        for (int64_t kk = 0; kk < k; ++kk) {
          const double t = static_cast<double>(a[static_cast<size_t>(i * k + kk)]) *
                           b[static_cast<size_t>(kk * n + j)];
          exact += t;
          mag += std::fabs(t);
        }
        // bf16 keeps 8 mantissa bits: each product is off by at most ~2 * 2^-9 of itself.
        ASSERT_NEAR(c[static_cast<size_t>(i * ldc + j)], exact, 4.0 * mag / 512.0);
      }
    }
  }
}

TEST(Bf16Gemm, UnavailableIsaIsAnErrorWithTheReason) {
  const auto b = random_vector(6, 1);
  PackedBf16Matrix packed(b.data(), 2, 3, 3, false);
  std::vector<float> a(2, 1.0f), c(3, 0.0f);
  EXPECT_THROW(gemm_bf16(Bf16Isa::kNone, 1, a.data(), 2, packed, c.data(), 3, Epilogue{}, nullptr),
               std::exception);
  if (best_bf16_isa() == Bf16Isa::kNone) {
    EXPECT_FALSE(bf16_unavailable_reason().empty());
  } else {
    EXPECT_TRUE(bf16_unavailable_reason().empty());
  }
}

}  // namespace
}  // namespace bog::runtime::cpu
