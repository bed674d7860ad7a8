// QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear / MatMulInteger: round trips,
// rounding, saturation, granularities and the float8 encodings.
#include <gtest/gtest.h>

#include <cmath>

#include "onnx_runtime/providers/reference/reference_provider.h"
#include "tests/runtime/kernel_test_util.h"

namespace bog::runtime {
namespace {

using testing::int_attr;
using testing::make_node;
using testing::random_tensor;
using testing::run_node;

template <class... T>
std::vector<Tensor> tensors(T&&... t) {
  std::vector<Tensor> v;
  (v.push_back(std::forward<T>(t)), ...);
  return v;
}

TEST(QuantizeLinearKernel, PerAxisRoundTripIsWithinHalfAScale) {
  ReferenceProvider ref;
  const Shape shapes[] = {{1, 1}, {3, 5}, {2, 7, 3}};
  uint32_t seed = 10;
  for (const Shape& shape : shapes) {
    ++seed;
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " " << shape_to_string(shape));
    Tensor x = random_tensor(shape, seed, -1.0f, 1.0f);
    const int64_t c = shape[1];
    Tensor scale(DType::kFloat32, {c});
    Tensor zp(DType::kInt8, {c});
    for (int64_t i = 0; i < c; ++i) {
      scale.data<float>()[i] = 0.01f * float(i + 1);
      zp.data<int8_t>()[i] = static_cast<int8_t>(i - 1);
    }
    std::vector<Value> q = run_node(ref, make_node("QuantizeLinear", 3, 1, 13),
                                    tensors(x.clone(), scale.clone(), zp.clone()));
    ASSERT_EQ(q[0].tensor.dtype(), DType::kInt8);
    std::vector<Value> d = run_node(ref, make_node("DequantizeLinear", 3, 1, 13),
                                    tensors(q[0].tensor.clone(), scale.clone(), zp.clone()));
    const int64_t inner = x.numel() / (shape[0] * c);
    for (int64_t i = 0; i < x.numel(); ++i) {
      const float s = scale.data<float>()[(i / inner) % c];
      EXPECT_LE(std::fabs(d[0].tensor.data<float>()[i] - x.data<float>()[i]), s / 2 + 1e-6f)
          << "at " << i;
    }
  }
}

TEST(QuantizeLinearKernel, RoundsHalfToEvenAndSaturates) {
  ReferenceProvider ref;
  Tensor x = Tensor::from_vector<float>({6}, {2.5f, 3.5f, -2.5f, 1000.0f, -1000.0f, 0.4f});
  std::vector<Value> q = run_node(
      ref, make_node("QuantizeLinear", 3, 1, 19),
      tensors(x.clone(), Tensor::from_vector<float>({}, {1.0f}), Tensor(DType::kInt8, {})));
  const int8_t want[6] = {2, 4, -2, 127, -128, 0};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(q[0].tensor.data<int8_t>()[i], want[i]) << i;
  // 4-bit outputs are stored one per byte and saturate to [0, 15].
  q = run_node(
      ref, make_node("QuantizeLinear", 3, 1, 21),
      tensors(x.clone(), Tensor::from_vector<float>({}, {1.0f}), Tensor(DType::kUint4, {})));
  const uint8_t want4[6] = {2, 4, 0, 15, 0, 0};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(q[0].tensor.data<uint8_t>()[i], want4[i]) << i;
}

TEST(QuantizeLinearKernel, Float8SaturatesOrOverflowsToNaN) {
  ReferenceProvider ref;
  Tensor x = Tensor::from_vector<float>({4}, {1000.0f, -1000.0f, 1.0f, 0.0f});
  std::vector<Value> q = run_node(
      ref, make_node("QuantizeLinear", 3, 1, 19),
      tensors(x.clone(), Tensor::from_vector<float>({}, {1.0f}), Tensor(DType::kFloat8E4M3FN, {})));
  EXPECT_EQ(q[0].tensor.data<uint8_t>()[0], 0x7E);  // 448
  EXPECT_EQ(q[0].tensor.data<uint8_t>()[1], 0xFE);  // -448
  EXPECT_EQ(q[0].tensor.data<uint8_t>()[2], 0x38);  // 1.0
  EXPECT_EQ(q[0].tensor.data<uint8_t>()[3], 0x00);
  q = run_node(
      ref, make_node("QuantizeLinear", 3, 1, 19, {int_attr("saturate", 0)}),
      tensors(x.clone(), Tensor::from_vector<float>({}, {1.0f}), Tensor(DType::kFloat8E4M3FN, {})));
  EXPECT_EQ(q[0].tensor.data<uint8_t>()[0] & 0x7F, 0x7F);  // NaN
  std::vector<Value> d =
      run_node(ref, make_node("DequantizeLinear", 2, 1, 19),
               tensors(q[0].tensor.clone(), Tensor::from_vector<float>({}, {2.0f})));
  EXPECT_TRUE(std::isnan(d[0].tensor.data<float>()[0]));
  EXPECT_FLOAT_EQ(d[0].tensor.data<float>()[2], 2.0f);
}

TEST(QuantizeLinearKernel, BlockedScalesCoverBlockSizeElements) {
  ReferenceProvider ref;
  // x [2, 5], blocks of 2 along axis 1 -> scale [2, 3].
  Tensor x = Tensor::from_vector<float>({2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  Tensor scale = Tensor::from_vector<float>({2, 3}, {1, 2, 4, 1, 0.5f, 0.25f});
  std::vector<Value> q = run_node(
      ref,
      make_node("QuantizeLinear", 2, 1, 21,
                {int_attr("axis", 1), int_attr("block_size", 2), int_attr("output_dtype", 5)}),
      tensors(std::move(x), std::move(scale)));
  ASSERT_EQ(q[0].tensor.dtype(), DType::kInt16);
  const int16_t want[10] = {1, 2, 2, 2, 1, 6, 7, 16, 18, 40};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(q[0].tensor.data<int16_t>()[i], want[i]) << i;
}

TEST(DynamicQuantizeLinearKernel, RangeIncludesZeroAndAllZerosStayZero) {
  ReferenceProvider ref;
  std::vector<Value> out = run_node(ref, make_node("DynamicQuantizeLinear", 1, 3, 11),
                                    tensors(Tensor::from_vector<float>({3}, {1.0f, 2.0f, 2.55f})));
  EXPECT_FLOAT_EQ(out[1].tensor.data<float>()[0], 0.01f);
  EXPECT_EQ(out[2].tensor.data<uint8_t>()[0], 0);
  EXPECT_EQ(out[0].tensor.data<uint8_t>()[2], 255);
  out = run_node(ref, make_node("DynamicQuantizeLinear", 1, 3, 11),
                 tensors(Tensor(DType::kFloat32, {4})));
  EXPECT_EQ(out[1].tensor.data<float>()[0], 0.0f);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(out[0].tensor.data<uint8_t>()[i], 0);
}

TEST(MatMulIntegerKernel, MatchesNaiveProductWithZeroPoints) {
  ReferenceProvider ref;
  const int64_t m = 3, k = 5, n = 2;
  Tensor a(DType::kUint8, {m, k});
  Tensor b(DType::kInt8, {k, n});
  for (int64_t i = 0; i < a.numel(); ++i) a.data<uint8_t>()[i] = static_cast<uint8_t>(i * 37 % 256);
  for (int64_t i = 0; i < b.numel(); ++i)
    b.data<int8_t>()[i] = static_cast<int8_t>(i * 29 % 256 - 128);
  std::vector<Value> out =
      run_node(ref, make_node("MatMulInteger", 4, 1, 10),
               tensors(a.clone(), b.clone(), Tensor::from_vector<uint8_t>({}, {7}),
                       Tensor::from_vector<int8_t>({}, {-3})));
  ASSERT_EQ(out[0].tensor.shape(), (Shape{m, n}));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      int32_t s = 0;
      for (int64_t x = 0; x < k; ++x) {
        s += (a.data<uint8_t>()[i * k + x] - 7) * (b.data<int8_t>()[x * n + j] + 3);
      }
      EXPECT_EQ(out[0].tensor.data<int32_t>()[i * n + j], s);
    }
  }
}

}  // namespace
}  // namespace bog::runtime
