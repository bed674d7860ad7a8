// Reference NN kernels (reductions, softmax, matmul/gemm, normalization, conv/pool, ...)
// checked against naive loops written here, compositions of simpler ops, and properties
// (softmax rows sum to 1, conv/conv-transpose adjointness). Random shapes include 1, odd
// sizes and empty dims; each seed is in a SCOPED_TRACE.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "common/error.h"
#include "onnx_runtime/providers/reference/reference_provider.h"
#include "tests/runtime/kernel_test_util.h"

namespace bog::runtime {
namespace {

using testing::expect_close;
using testing::float_attr;
using testing::int_attr;
using testing::ints_attr;
using testing::make_node;
using testing::random_tensor;
using testing::run_node;
using testing::string_attr;

const ReferenceProvider& ref() {
  static const ReferenceProvider provider;
  return provider;
}

// Runs `node` on the reference provider; inputs are moved in (tensors are move-only).
template <class... Ts>
std::vector<Value> run_all(const Node& node, Ts... inputs) {
  std::vector<Tensor> v;
  (v.push_back(std::move(inputs)), ...);
  return run_node(ref(), node, std::move(v));
}

template <class... Ts>
Tensor run1(const Node& node, Ts... inputs) {
  std::vector<Value> out = run_all(node, std::move(inputs)...);
  return std::move(out.at(0).tensor);
}

Tensor i64(Shape shape, std::vector<int64_t> v) { return Tensor::from_vector(std::move(shape), v); }
Tensor f32(Shape shape, std::vector<float> v) { return Tensor::from_vector(std::move(shape), v); }

float at(const Tensor& t, int64_t i) { return t.data<float>()[i]; }

// ---------------------------------------------------------------------------------------------
// MatMul / Gemm

// Naive [M,K] x [K,N] for a single matrix pair, accumulating in double.
std::vector<float> naive_matmul(const float* a, const float* b, int64_t m, int64_t k, int64_t n) {
  std::vector<float> c(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t t = 0; t < k; ++t) s += double(a[i * k + t]) * b[t * n + j];
      c[static_cast<size_t>(i * n + j)] = static_cast<float>(s);
    }
  }
  return c;
}

TEST(NnKernels, MatMulMatchesNaiveLoopOnRandomSizes) {
  const int64_t sizes[] = {0, 1, 2, 5, 7, 16};
  uint32_t seed = 1;
  for (const int64_t m : sizes) {
    for (const int64_t k : sizes) {
      for (const int64_t n : {int64_t{1}, int64_t{3}, int64_t{0}}) {
        SCOPED_TRACE(::testing::Message()
                     << "seed=" << seed << " m=" << m << " k=" << k << " n=" << n);
        const Tensor a = random_tensor({m, k}, seed++);
        const Tensor b = random_tensor({k, n}, seed++);
        const Tensor want = f32({m, n}, naive_matmul(a.data<float>(), b.data<float>(), m, k, n));
        expect_close(run1(make_node("MatMul", 2, 1, 13), a.clone(), b.clone()), want);
      }
    }
  }
}

TEST(NnKernels, MatMulBroadcastsBatchDimsAndPromotesVectors) {
  const uint32_t seed = 7;
  SCOPED_TRACE(::testing::Message() << "seed=" << seed);
  const Tensor a = random_tensor({2, 1, 3, 4}, seed);
  const Tensor b = random_tensor({5, 4, 2}, seed + 1);
  const Tensor y = run1(make_node("MatMul", 2, 1, 13), a.clone(), b.clone());
  ASSERT_EQ(y.shape(), (Shape{2, 5, 3, 2}));
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 5; ++j) {
      const std::vector<float> c =
          naive_matmul(a.data<float>() + i * 12, b.data<float>() + j * 8, 3, 4, 2);
      for (int64_t e = 0; e < 6; ++e) EXPECT_NEAR(at(y, (i * 5 + j) * 6 + e), c[e], 1e-5);
    }
  }
  // [4] x [5,4,2] -> [5,2];  [2,3,4] x [4] -> [2,3];  [4] x [4] -> scalar.
  const Tensor v = random_tensor({4}, seed + 2);
  EXPECT_EQ(run1(make_node("MatMul", 2, 1, 13), v.clone(), b.clone()).shape(), (Shape{5, 2}));
  const Tensor y2 = run1(make_node("MatMul", 2, 1, 13), random_tensor({2, 3, 4}, seed), v.clone());
  EXPECT_EQ(y2.shape(), (Shape{2, 3}));
  const Tensor dot = run1(make_node("MatMul", 2, 1, 13), v.clone(), v.clone());
  EXPECT_EQ(dot.shape(), Shape{});
  double want = 0;
  for (int64_t i = 0; i < 4; ++i) want += double(at(v, i)) * at(v, i);
  EXPECT_NEAR(at(dot, 0), want, 1e-5);
}

TEST(NnKernels, MatMulOfInt32IsExact) {
  const Tensor a = Tensor::from_vector<int32_t>({2, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::from_vector<int32_t>({2, 2}, {5, 6, 7, 8});
  const Tensor y = run1(make_node("MatMul", 2, 1, 13), a.clone(), b.clone());
  ASSERT_EQ(y.dtype(), DType::kInt32);
  EXPECT_EQ(std::vector<int32_t>(y.data<int32_t>(), y.data<int32_t>() + 4),
            (std::vector<int32_t>{19, 22, 43, 50}));
}

TEST(NnKernels, MatMulRejectsMismatchedInnerDims) {
  EXPECT_THROW(
      run1(make_node("MatMul", 2, 1, 13), random_tensor({2, 3}, 1), random_tensor({4, 2}, 2)),
      Error);
}

TEST(NnKernels, MatMulIntegerSubtractsZeroPoints) {
  const Tensor a = Tensor::from_vector<uint8_t>({2, 2}, {11, 12, 13, 14});
  const Tensor b = Tensor::from_vector<uint8_t>({2, 1}, {3, 5});
  const Tensor za = Tensor::from_vector<uint8_t>({}, {10});
  const Tensor zb = Tensor::from_vector<uint8_t>({}, {1});
  const Tensor y =
      run1(make_node("MatMulInteger", 4, 1, 10), a.clone(), b.clone(), za.clone(), zb.clone());
  ASSERT_EQ(y.dtype(), DType::kInt32);
  // (1*2 + 2*4, 3*2 + 4*4)
  EXPECT_EQ(y.data<int32_t>()[0], 10);
  EXPECT_EQ(y.data<int32_t>()[1], 22);
}

TEST(NnKernels, GemmHonoursTransposeFlagsAlphaBetaAndBias) {
  uint32_t seed = 100;
  for (const int64_t m : {1, 3, 4}) {
    for (const int ta : {0, 1}) {
      for (const int tb : {0, 1}) {
        SCOPED_TRACE(::testing::Message()
                     << "seed=" << seed << " transA=" << ta << " transB=" << tb);
        const int64_t k = 5, n = 2;
        const Tensor a = random_tensor(ta ? Shape{k, m} : Shape{m, k}, seed++);
        const Tensor b = random_tensor(tb ? Shape{n, k} : Shape{k, n}, seed++);
        const Tensor c = random_tensor({n}, seed++);  // broadcast along rows
        const Node node = make_node("Gemm", 3, 1, 13,
                                    {int_attr("transA", ta), int_attr("transB", tb),
                                     float_attr("alpha", 0.5f), float_attr("beta", 2.0f)});
        const Tensor y = run1(node, a.clone(), b.clone(), c.clone());
        ASSERT_EQ(y.shape(), (Shape{m, n}));
        for (int64_t i = 0; i < m; ++i) {
          for (int64_t j = 0; j < n; ++j) {
            double s = 0;
            for (int64_t t = 0; t < k; ++t) {
              s += double(at(a, ta ? t * m + i : i * k + t)) * at(b, tb ? j * k + t : t * n + j);
            }
            EXPECT_NEAR(at(y, i * n + j), 0.5 * s + 2.0 * at(c, j), 1e-5);
          }
        }
        // Without C (optional from opset 11) only the product remains.
        const Node no_c =
            make_node("Gemm", 2, 1, 13, {int_attr("transA", ta), int_attr("transB", tb)});
        EXPECT_EQ(run1(no_c, a.clone(), b.clone()).shape(), (Shape{m, n}));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Softmax family

TEST(NnKernels, SoftmaxRowsSumToOneAndAreShiftInvariant) {
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed=" << seed);
    const Shape shape{3, 1, 7};
    const Tensor x = random_tensor(shape, seed, -30.0f, 30.0f);
    Tensor shifted = x.clone();
    for (float& v : shifted.span<float>()) v += 1000.0f;  // would overflow exp without max-shift
    const Tensor y = run1(make_node("Softmax", 1, 1, 13), x.clone());
    for (int64_t r = 0; r < 3; ++r) {
      double s = 0;
      for (int64_t c = 0; c < 7; ++c) s += at(y, r * 7 + c);
      EXPECT_NEAR(s, 1.0, 1e-5);
    }
    expect_close(run1(make_node("Softmax", 1, 1, 13), shifted.clone()), y, 1e-4f, 1e-6f);
    // LogSoftmax is log(Softmax).
    const Tensor ly = run1(make_node("LogSoftmax", 1, 1, 13), x.clone());
    for (int64_t i = 0; i < x.numel(); ++i) {
      EXPECT_NEAR(at(ly, i), std::log(std::max(at(y, i), 1e-30f)),
                  1e-3 + 1e-4 * std::fabs(at(ly, i)));
    }
  }
}

TEST(NnKernels, SoftmaxBeforeOpset13CoercesTo2dAtAxis) {
  const Tensor x = random_tensor({2, 3, 4}, 11);
  // Opset 11, axis 1: each of the 2 rows of 12 sums to 1.
  const Tensor y11 = run1(make_node("Softmax", 1, 1, 11), x.clone());
  for (int64_t r = 0; r < 2; ++r) {
    double s = 0;
    for (int64_t c = 0; c < 12; ++c) s += at(y11, r * 12 + c);
    EXPECT_NEAR(s, 1.0, 1e-5);
  }
  // Opset 13, axis 1: each column of 3 sums to 1.
  const Tensor y13 = run1(make_node("Softmax", 1, 1, 13, {int_attr("axis", 1)}), x.clone());
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t c = 0; c < 4; ++c) {
      double s = 0;
      for (int64_t j = 0; j < 3; ++j) s += at(y13, b * 12 + j * 4 + c);
      EXPECT_NEAR(s, 1.0, 1e-5);
    }
  }
}

TEST(NnKernels, HardmaxMarksFirstMaximum) {
  const Tensor y = run1(make_node("Hardmax", 1, 1, 13), f32({2, 3}, {1, 3, 3, -1, -2, -3}));
  EXPECT_EQ(std::vector<float>(y.data<float>(), y.data<float>() + 6),
            (std::vector<float>{0, 1, 0, 1, 0, 0}));
}

// ---------------------------------------------------------------------------------------------
// Reductions

TEST(NnKernels, ReduceAttributeAndInputFormsAgree) {
  const Tensor x = random_tensor({2, 3, 4}, 21);
  for (const int keepdims : {0, 1}) {
    SCOPED_TRACE(::testing::Message() << "seed=21 keepdims=" << keepdims);
    const Tensor by_attr =
        run1(make_node("ReduceMean", 1, 1, 13,
                       {ints_attr("axes", {0, -1}), int_attr("keepdims", keepdims)}),
             x.clone());
    const Tensor by_input =
        run1(make_node("ReduceMean", 2, 1, 18, {int_attr("keepdims", keepdims)}), x.clone(),
             i64({2}, {0, 2}));
    expect_close(by_input, by_attr);
    EXPECT_EQ(by_attr.shape(), keepdims ? (Shape{1, 3, 1}) : (Shape{3}));
    for (int64_t j = 0; j < 3; ++j) {
      double s = 0;
      for (int64_t i = 0; i < 2; ++i) {
        for (int64_t k = 0; k < 4; ++k) s += at(x, i * 12 + j * 4 + k);
      }
      EXPECT_NEAR(at(by_attr, j), s / 8, 1e-6);
    }
  }
}

TEST(NnKernels, ReduceOverEmptySetGivesIdentityElements) {
  const Tensor x(DType::kFloat32, {2, 0, 3});
  const auto reduce = [&](const char* op) {
    return run1(make_node(op, 2, 1, 18), x.clone(), i64({1}, {1}));
  };
  EXPECT_EQ(at(reduce("ReduceSum"), 0), 0.0f);
  EXPECT_EQ(at(reduce("ReduceProd"), 0), 1.0f);
  EXPECT_EQ(at(reduce("ReduceMax"), 0), -INFINITY);
  EXPECT_EQ(at(reduce("ReduceMin"), 0), INFINITY);
  EXPECT_EQ(at(reduce("ReduceLogSumExp"), 0), -INFINITY);
  EXPECT_EQ(reduce("ReduceL2").shape(), (Shape{2, 1, 3}));
  // Reducing a non-empty axis of an empty tensor gives an empty result.
  EXPECT_EQ(run1(make_node("ReduceSum", 2, 1, 13), x.clone(), i64({1}, {2})).shape(),
            (Shape{2, 0, 1}));
}

TEST(NnKernels, ReduceWithEmptyAxesReducesAllOrIsNoop) {
  const Tensor x = f32({2, 2}, {1, 2, 3, 4});
  const Tensor all = run1(make_node("ReduceSum", 1, 1, 13, {int_attr("keepdims", 0)}), x.clone());
  EXPECT_EQ(all.shape(), Shape{});
  EXPECT_EQ(at(all, 0), 10.0f);
  const Tensor noop = run1(make_node("ReduceSum", 2, 1, 13, {int_attr("noop_with_empty_axes", 1)}),
                           x.clone(), i64({0}, {}));
  expect_close(noop, x);
}

TEST(NnKernels, ReduceKindsMatchDefinitions) {
  const Tensor x = f32({4}, {1, -2, 3, 0.5f});
  const auto r = [&](const char* op) { return at(run1(make_node(op, 1, 1, 13), x.clone()), 0); };
  EXPECT_FLOAT_EQ(r("ReduceL1"), 6.5f);
  EXPECT_FLOAT_EQ(r("ReduceL2"), std::sqrt(14.25f));
  EXPECT_FLOAT_EQ(r("ReduceSumSquare"), 14.25f);
  EXPECT_FLOAT_EQ(r("ReduceProd"), -3.0f);
  EXPECT_FLOAT_EQ(r("ReduceLogSum"), std::log(2.5f));
  EXPECT_NEAR(r("ReduceLogSumExp"),
              std::log(std::exp(1.) + std::exp(-2.) + std::exp(3.) + std::exp(.5)), 1e-6);
  const Tensor xi = i64({3}, {5, -7, 2});
  const Tensor s = run1(make_node("ReduceSum", 1, 1, 13), xi.clone());
  ASSERT_EQ(s.dtype(), DType::kInt64);
  EXPECT_EQ(s.data<int64_t>()[0], 0);
  EXPECT_EQ(run1(make_node("ReduceMin", 1, 1, 13), xi.clone()).data<int64_t>()[0], -7);
}

TEST(NnKernels, ReduceRejectsRepeatedOrOutOfRangeAxes) {
  const Tensor x = random_tensor({2, 3}, 5);
  EXPECT_THROW(run1(make_node("ReduceSum", 2, 1, 13), x.clone(), i64({2}, {1, -1})), Error);
  EXPECT_THROW(run1(make_node("ReduceMax", 1, 1, 13, {ints_attr("axes", {2})}), x.clone()), Error);
}

TEST(NnKernels, ArgMaxSelectsFirstOrLastIndex) {
  const Tensor x = f32({2, 3}, {1, 5, 5, 2, 2, 0});
  const Tensor first = run1(make_node("ArgMax", 1, 1, 13, {int_attr("axis", 1)}), x.clone());
  ASSERT_EQ(first.shape(), (Shape{2, 1}));
  EXPECT_EQ(first.data<int64_t>()[0], 1);
  EXPECT_EQ(first.data<int64_t>()[1], 0);
  const Tensor last = run1(
      make_node("ArgMax", 1, 1, 13,
                {int_attr("axis", -1), int_attr("keepdims", 0), int_attr("select_last_index", 1)}),
      x.clone());
  ASSERT_EQ(last.shape(), (Shape{2}));
  EXPECT_EQ(last.data<int64_t>()[0], 2);
  EXPECT_EQ(last.data<int64_t>()[1], 1);
  const Tensor amin = run1(make_node("ArgMin", 1, 1, 13), x.clone());
  EXPECT_EQ(amin.shape(), (Shape{1, 3}));
  EXPECT_EQ(amin.data<int64_t>()[2], 1);
}

// ---------------------------------------------------------------------------------------------
// Normalization

TEST(NnKernels, LayerNormalizationMatchesMeanVarianceComposition) {
  for (const int64_t axis : {-1, 1, 0}) {
    const uint32_t seed = 30 + static_cast<uint32_t>(axis + 1);
    SCOPED_TRACE(::testing::Message() << "seed=" << seed << " axis=" << axis);
    const Shape shape{3, 5, 7};
    const Tensor x = random_tensor(shape, seed, -3, 3);
    const int64_t a = axis < 0 ? axis + 3 : axis;
    const Shape norm(shape.begin() + a, shape.end());
    const Tensor scale = random_tensor(norm, seed + 1);
    const Tensor bias = random_tensor(norm, seed + 2);
    std::vector<Value> out =
        run_all(make_node("LayerNormalization", 3, 3, 17,
                          {int_attr("axis", axis), float_attr("epsilon", 1e-3f)}),
                x.clone(), scale.clone(), bias.clone());
    const int64_t cols = std::accumulate(norm.begin(), norm.end(), int64_t{1}, std::multiplies<>());
    const int64_t rows = x.numel() / cols;
    // X - ReduceMean, Pow(2), ReduceMean, Add(eps), Sqrt, Div, Mul(scale), Add(bias).
    for (int64_t r = 0; r < rows; ++r) {
      double mean = 0, var = 0;
      for (int64_t c = 0; c < cols; ++c) mean += at(x, r * cols + c) / double(cols);
      for (int64_t c = 0; c < cols; ++c)
        var += std::pow(at(x, r * cols + c) - mean, 2) / double(cols);
      for (int64_t c = 0; c < cols; ++c) {
        const double want =
            (at(x, r * cols + c) - mean) / std::sqrt(var + 1e-3) * at(scale, c) + at(bias, c);
        EXPECT_NEAR(at(out[0].tensor, r * cols + c), want, 1e-5);
      }
      EXPECT_NEAR(at(out[1].tensor, r), mean, 1e-6);
      EXPECT_NEAR(at(out[2].tensor, r), 1 / std::sqrt(var + 1e-3), 1e-4);
    }
    Shape stat(shape.begin(), shape.begin() + a);
    stat.resize(3, 1);
    EXPECT_EQ(out[1].tensor.shape(), stat);
  }
}

TEST(NnKernels, RmsNormalizationDividesByRootMeanSquare) {
  const Tensor x = random_tensor({4, 6}, 40);
  const Tensor scale = random_tensor({6}, 41);
  const Tensor y = run1(make_node("RMSNormalization", 2, 1, 23), x.clone(), scale.clone());
  for (int64_t r = 0; r < 4; ++r) {
    double ms = 0;
    for (int64_t c = 0; c < 6; ++c) ms += double(at(x, r * 6 + c)) * at(x, r * 6 + c) / 6;
    for (int64_t c = 0; c < 6; ++c) {
      EXPECT_NEAR(at(y, r * 6 + c), at(x, r * 6 + c) / std::sqrt(ms + 1e-5) * at(scale, c), 1e-5);
    }
  }
}

TEST(NnKernels, BatchNormalizationTrainingModeUsesBatchStatistics) {
  const Tensor x = f32({2, 1, 2}, {1, 2, 3, 6});  // mean 3, population var 3.5
  const Tensor one = f32({1}, {1}), zero = f32({1}, {0});
  std::vector<Value> out =
      run_all(make_node("BatchNormalization", 5, 3, 15,
                        {int_attr("training_mode", 1), float_attr("epsilon", 0)}),
              x.clone(), one.clone(), zero.clone(), zero.clone(), one.clone());
  EXPECT_NEAR(at(out[0].tensor, 0), (1 - 3) / std::sqrt(3.5), 1e-6);
  EXPECT_NEAR(at(out[1].tensor, 0), 0.1 * 3, 1e-6);          // 0 * 0.9 + 3 * 0.1
  EXPECT_NEAR(at(out[2].tensor, 0), 0.9 + 0.1 * 3.5, 1e-6);  // 1 * 0.9 + 3.5 * 0.1
  // Inference uses the given statistics.
  const Tensor y = run1(make_node("BatchNormalization", 5, 1, 15), x.clone(), one.clone(),
                        zero.clone(), f32({1}, {1}), f32({1}, {4}));
  EXPECT_NEAR(at(y, 3), 5 / std::sqrt(4 + 1e-5), 1e-5);
}

TEST(NnKernels, GroupAndInstanceNormalizationAgreeWhenGroupsEqualChannels) {
  const Tensor x = random_tensor({2, 3, 5}, 50);
  const Tensor s = random_tensor({3}, 51), b = random_tensor({3}, 52);
  const Tensor inst =
      run1(make_node("InstanceNormalization", 3, 1, 22), x.clone(), s.clone(), b.clone());
  const Tensor grp = run1(make_node("GroupNormalization", 3, 1, 21, {int_attr("num_groups", 3)}),
                          x.clone(), s.clone(), b.clone());
  expect_close(grp, inst, 1e-5f, 1e-5f);
}

TEST(NnKernels, LpNormalizationGivesUnitNorms) {
  const Tensor x = random_tensor({3, 4}, 60);
  const Tensor y = run1(
      make_node("LpNormalization", 1, 1, 22, {int_attr("p", 1), int_attr("axis", 0)}), x.clone());
  for (int64_t c = 0; c < 4; ++c) {
    double s = 0;
    for (int64_t r = 0; r < 3; ++r) s += std::fabs(at(y, r * 4 + c));
    EXPECT_NEAR(s, 1.0, 1e-5);
  }
}

// ---------------------------------------------------------------------------------------------
// Conv / ConvTranspose / pooling

// Naive 2-D grouped convolution, written independently of the kernel's N-D loop.
std::vector<double> naive_conv2d(const Tensor& x, const Tensor& w, int64_t group, int64_t stride,
                                 int64_t pad, int64_t dil, int64_t& oh, int64_t& ow) {
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
  const int64_t m = w.dim(0), cg = w.dim(1), kh = w.dim(2), kw = w.dim(3);
  oh = (h + 2 * pad - (kh - 1) * dil - 1) / stride + 1;
  ow = (wd + 2 * pad - (kw - 1) * dil - 1) / stride + 1;
  std::vector<double> y(static_cast<size_t>(n * m * oh * ow), 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t o = 0; o < m; ++o)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double s = 0;
          for (int64_t q = 0; q < cg; ++q)
            for (int64_t u = 0; u < kh; ++u)
              for (int64_t v = 0; v < kw; ++v) {
                const int64_t r = i * stride - pad + u * dil, t = j * stride - pad + v * dil;
                if (r < 0 || r >= h || t < 0 || t >= wd) continue;
                const int64_t ch = o / (m / group) * cg + q;
                s += double(at(x, ((b * c + ch) * h + r) * wd + t)) *
                     at(w, ((o * cg + q) * kh + u) * kw + v);
              }
          y[static_cast<size_t>(((b * m + o) * oh + i) * ow + j)] = s;
        }
  return y;
}

TEST(NnKernels, ConvMatchesNaiveDirectConvolution) {
  uint32_t seed = 70;
  struct Case {
    int64_t n, c, h, w, m, k, group, stride, pad, dil;
  };
  const Case cases[] = {{1, 1, 5, 5, 1, 3, 1, 1, 0, 1},
                        {2, 4, 7, 6, 6, 3, 2, 2, 1, 1},
                        {1, 3, 9, 8, 3, 2, 3, 1, 2, 2},
                        {3, 2, 1, 4, 5, 1, 1, 3, 0, 1}};
  for (const Case& k : cases) {
    SCOPED_TRACE(::testing::Message()
                 << "seed=" << seed << " group=" << k.group << " stride=" << k.stride);
    const Tensor x = random_tensor({k.n, k.c, k.h, k.w}, seed++);
    const Tensor w = random_tensor({k.m, k.c / k.group, k.k, k.k}, seed++);
    int64_t oh = 0, ow = 0;
    const std::vector<double> want = naive_conv2d(x, w, k.group, k.stride, k.pad, k.dil, oh, ow);
    const Node node = make_node(
        "Conv", 2, 1, 22,
        {int_attr("group", k.group), ints_attr("strides", {k.stride, k.stride}),
         ints_attr("pads", {k.pad, k.pad, k.pad, k.pad}), ints_attr("dilations", {k.dil, k.dil})});
    const Tensor y = run1(node, x.clone(), w.clone());
    ASSERT_EQ(y.shape(), (Shape{k.n, k.m, oh, ow}));
    for (int64_t i = 0; i < y.numel(); ++i)
      EXPECT_NEAR(at(y, i), want[static_cast<size_t>(i)], 1e-5);
  }
}

TEST(NnKernels, ConvAutoPadSameKeepsCeilOfInputOverStride) {
  const Tensor x = random_tensor({1, 1, 5, 4}, 80);
  const Tensor w = random_tensor({2, 1, 3, 2}, 81);
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER"}) {
    const Tensor y = run1(
        make_node("Conv", 2, 1, 22, {string_attr("auto_pad", mode), ints_attr("strides", {2, 2})}),
        x.clone(), w.clone());
    EXPECT_EQ(y.shape(), (Shape{1, 2, 3, 2})) << mode;
  }
  // 1-D with bias: a 1x1 kernel of weight 2 doubles and shifts.
  const Tensor y1 = run1(make_node("Conv", 3, 1, 22), f32({1, 1, 3}, {1, 2, 3}),
                         f32({1, 1, 1}, {2}), f32({1}, {0.5f}));
  expect_close(y1, f32({1, 1, 3}, {2.5f, 4.5f, 6.5f}));
}

TEST(NnKernels, ConvTransposeIsTheAdjointOfConv) {
  // <Conv(x, w), g> == <x, ConvTranspose(g, w)> for matching strides/pads/dilations/groups.
  uint32_t seed = 90;
  for (const int64_t group : {1, 2}) {
    SCOPED_TRACE(::testing::Message() << "seed=" << seed << " group=" << group);
    const std::vector<Attribute> attrs = {int_attr("group", group), ints_attr("strides", {2, 1}),
                                          ints_attr("pads", {1, 0, 1, 1}),
                                          ints_attr("dilations", {1, 2})};
    const Tensor x = random_tensor({2, 4, 7, 6}, seed++);
    const Tensor w = random_tensor({6, 4 / group, 3, 2}, seed++);
    const Tensor y = run1(make_node("Conv", 2, 1, 22, attrs), x.clone(), w.clone());
    const Tensor g = random_tensor(y.shape(), seed++);
    // ConvTranspose weight is [C_in_of_transpose = 6, M/group, k...]: same tensor as Conv's.
    std::vector<Attribute> t_attrs = attrs;
    t_attrs.push_back(ints_attr("output_shape", {7, 6}));
    const Tensor xt = run1(make_node("ConvTranspose", 2, 1, 22, t_attrs), g.clone(), w.clone());
    ASSERT_EQ(xt.shape(), x.shape());
    double lhs = 0, rhs = 0;
    for (int64_t i = 0; i < y.numel(); ++i) lhs += double(at(y, i)) * at(g, i);
    for (int64_t i = 0; i < x.numel(); ++i) rhs += double(at(x, i)) * at(xt, i);
    EXPECT_NEAR(lhs, rhs, 1e-4 * (1 + std::fabs(lhs)));
  }
}

TEST(NnKernels, ConvTransposeOutputSizeFollowsFormula) {
  const Tensor x = random_tensor({1, 1, 3, 3}, 95);
  const Tensor w = random_tensor({1, 2, 3, 3}, 96);
  const Tensor y =
      run1(make_node("ConvTranspose", 2, 1, 22,
                     {ints_attr("strides", {3, 2}), ints_attr("output_padding", {1, 1})}),
           x.clone(), w.clone());
  EXPECT_EQ(y.shape(), (Shape{1, 2, 10, 8}));
}

TEST(NnKernels, MaxPoolReturnsMaxAndFlatIndices) {
  const Tensor x = f32({1, 1, 3, 3}, {1, 9, 2, 4, 5, 6, 8, 7, 3});
  std::vector<Value> out =
      run_all(make_node("MaxPool", 1, 2, 22, {ints_attr("kernel_shape", {2, 2})}), x.clone());
  expect_close(out[0].tensor, f32({1, 1, 2, 2}, {9, 9, 8, 7}));
  const int64_t* idx = out[1].tensor.data<int64_t>();
  EXPECT_EQ(std::vector<int64_t>(idx, idx + 4), (std::vector<int64_t>{1, 1, 6, 7}));
  // Column-major storage order reports 9 at (0,1) as 0 + 1 * 3.
  std::vector<Value> col =
      run_all(make_node("MaxPool", 1, 2, 22,
                        {ints_attr("kernel_shape", {2, 2}), int_attr("storage_order", 1)}),
              x.clone());
  EXPECT_EQ(col[1].tensor.data<int64_t>()[0], 3);
}

TEST(NnKernels, AveragePoolCountIncludePadChangesTheDivisor) {
  const Tensor x = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  const auto pool = [&](int include) {
    return run1(make_node("AveragePool", 1, 1, 22,
                          {ints_attr("kernel_shape", {2, 2}), ints_attr("pads", {1, 1, 1, 1}),
                           int_attr("count_include_pad", include)}),
                x.clone());
  };
  const Tensor ex = pool(0), in = pool(1);
  ASSERT_EQ(ex.shape(), (Shape{1, 1, 3, 3}));
  EXPECT_FLOAT_EQ(at(ex, 0), 1.0f);   // only x[0,0] inside
  EXPECT_FLOAT_EQ(at(in, 0), 0.25f);  // divided by 4
  EXPECT_FLOAT_EQ(at(ex, 4), 2.5f);
}

TEST(NnKernels, PoolCeilModeAddsAPartialWindow) {
  const Tensor x = random_tensor({1, 1, 4, 4}, 97);
  const auto shape = [&](int ceil) {
    return run1(make_node("MaxPool", 1, 1, 22,
                          {ints_attr("kernel_shape", {3, 3}), ints_attr("strides", {2, 2}),
                           int_attr("ceil_mode", ceil)}),
                x.clone())
        .shape();
  };
  EXPECT_EQ(shape(0), (Shape{1, 1, 1, 1}));
  EXPECT_EQ(shape(1), (Shape{1, 1, 2, 2}));
}

TEST(NnKernels, GlobalPoolsReduceSpatialDims) {
  const Tensor x = random_tensor({2, 3, 4, 5}, 98);
  const Tensor avg = run1(make_node("GlobalAveragePool", 1, 1, 22), x.clone());
  const Tensor mean = run1(make_node("ReduceMean", 2, 1, 18), x.clone(), i64({2}, {2, 3}));
  expect_close(avg, mean, 1e-5f, 1e-6f);
}

TEST(NnKernels, MaxUnpoolInvertsMaxPoolIndices) {
  const Tensor x = f32({1, 1, 2, 2}, {1, 9, 5, 3});
  std::vector<Value> pooled =
      run_all(make_node("MaxPool", 1, 2, 22,
                        {ints_attr("kernel_shape", {2, 2}), ints_attr("strides", {2, 2})}),
              x.clone());
  const Tensor y =
      run1(make_node("MaxUnpool", 2, 1, 22,
                     {ints_attr("kernel_shape", {2, 2}), ints_attr("strides", {2, 2})}),
           pooled[0].tensor.clone(), pooled[1].tensor.clone());
  expect_close(y, f32({1, 1, 2, 2}, {0, 9, 0, 0}));
}

TEST(NnKernels, MaxUnpoolWithOutputShapeKeepsCoordinates) {
  // Indices address the default 4x4 output; the 5x5 output keeps (row, col) and pads with 0.
  const Tensor y = run1(
      make_node("MaxUnpool", 3, 1, 22,
                {ints_attr("kernel_shape", {2, 2}), ints_attr("strides", {2, 2})}),
      f32({1, 1, 2, 2}, {5, 6, 7, 8}), i64({1, 1, 2, 2}, {5, 7, 13, 15}), i64({4}, {1, 1, 5, 5}));
  ASSERT_EQ(y.shape(), (Shape{1, 1, 5, 5}));
  for (int64_t i = 0; i < 25; ++i) {
    const float want = i == 6 ? 5 : i == 8 ? 6 : i == 16 ? 7 : i == 18 ? 8 : 0;
    EXPECT_EQ(at(y, i), want) << "at " << i;
  }
}

TEST(NnKernels, LpNormalizationOfZeroSliceIsZero) {
  const Tensor y = run1(make_node("LpNormalization", 1, 1, 22), f32({2, 2}, {0, 0, 3, 4}));
  expect_close(y, f32({2, 2}, {0, 0, 0.6f, 0.8f}));
}

// ---------------------------------------------------------------------------------------------
// Einsum, Det, Dropout, Shrink, LRN

TEST(NnKernels, EinsumMatchesMatMulTraceAndTranspose) {
  const Tensor a = random_tensor({2, 3, 4}, 110);
  const Tensor b = random_tensor({2, 4, 5}, 111);
  const Node bmm = make_node("Einsum", 2, 1, 12, {string_attr("equation", "bij, bjk -> bik")});
  expect_close(run1(bmm, a.clone(), b.clone()),
               run1(make_node("MatMul", 2, 1, 13), a.clone(), b.clone()), 1e-5f, 1e-6f);
  const Tensor sq = f32({2, 2}, {1, 2, 3, 4});
  EXPECT_FLOAT_EQ(
      at(run1(make_node("Einsum", 1, 1, 12, {string_attr("equation", "ii")}), sq.clone()), 0),
      5.0f);
  expect_close(
      run1(make_node("Einsum", 1, 1, 12, {string_attr("equation", "...ij->...ji")}), sq.clone()),
      f32({2, 2}, {1, 3, 2, 4}));
  // Implicit output: letters used once, alphabetically.
  EXPECT_EQ(
      run1(make_node("Einsum", 1, 1, 12, {string_attr("equation", "ba")}), random_tensor({2, 3}, 1))
          .shape(),
      (Shape{3, 2}));
}

TEST(NnKernels, DetOfBatchedMatrices) {
  const Tensor x = f32({2, 2, 2}, {1, 2, 3, 4, 2, 0, 0, 3});
  const Tensor y = run1(make_node("Det", 1, 1, 22), x.clone());
  ASSERT_EQ(y.shape(), (Shape{2}));
  EXPECT_NEAR(at(y, 0), -2.0f, 1e-6);
  EXPECT_NEAR(at(y, 1), 6.0f, 1e-6);
  const Tensor z = run1(make_node("Det", 1, 1, 22), f32({3, 3}, {0, 1, 2, 1, 0, 3, 4, -3, 8}));
  EXPECT_NEAR(at(z, 0), -2.0f, 1e-5);
}

TEST(NnKernels, DropoutInInferenceIsIdentityWithTrueMask) {
  const Tensor x = random_tensor({3, 5}, 120);
  std::vector<Value> out = run_all(make_node("Dropout", 2, 2, 22), x.clone(), f32({}, {0.7f}));
  expect_close(out[0].tensor, x);
  ASSERT_EQ(out[1].tensor.dtype(), DType::kBool);
  for (int64_t i = 0; i < 15; ++i) EXPECT_TRUE(out[1].tensor.data<bool>()[i]);
  // Training with ratio 0 is the identity too.
  Tensor train = Tensor::from_vector<bool>({}, {true});
  std::vector<Value> t =
      run_all(make_node("Dropout", 3, 1, 22), x.clone(), f32({}, {0.0f}), std::move(train));
  expect_close(t[0].tensor, x);
}

TEST(NnKernels, ShrinkAndLrnFollowTheirFormulas) {
  const Tensor y =
      run1(make_node("Shrink", 1, 1, 9, {float_attr("lambd", 1.0f), float_attr("bias", 0.5f)}),
           f32({4}, {-2, -0.5f, 0.5f, 3}));
  expect_close(y, f32({4}, {-1.5f, 0, 0, 2.5f}));
  const Tensor x = f32({1, 3, 1, 1}, {1, 2, 3});
  const Tensor l = run1(make_node("LRN", 1, 1, 13,
                                  {int_attr("size", 3), float_attr("alpha", 3.0f),
                                   float_attr("beta", 1.0f), float_attr("bias", 1.0f)}),
                        x.clone());
  // Channel 1 sees 1 + 4 + 9 = 14: 2 / (1 + 3 / 3 * 14).
  EXPECT_NEAR(at(l, 1), 2.0 / 15.0, 1e-6);
  EXPECT_NEAR(at(l, 0), 1.0 / 6.0, 1e-6);  // channels 0..1: 1 + 4
}

}  // namespace
}  // namespace bog::runtime
