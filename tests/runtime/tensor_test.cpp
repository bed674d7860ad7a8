#include "onnx_runtime/tensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "common/error.h"

namespace bog::runtime {
namespace {

TEST(Tensor, AllocatesZeroedAlignedStorage) {
  Tensor t(DType::kFloat32, {3, 5, 7});
  EXPECT_EQ(t.numel(), 105);
  EXPECT_EQ(t.nbytes(), 420u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw()) % 64, 0u);
  for (float v : t.span<float>()) EXPECT_EQ(v, 0.0f);
}

TEST(Tensor, EmptyDimHasNoElements) {
  Tensor t(DType::kInt64, {4, 0, 2});
  EXPECT_EQ(t.numel(), 0);
  EXPECT_EQ(t.nbytes(), 0u);
  EXPECT_EQ(t.clone().numel(), 0);
}

TEST(Tensor, RejectsOverflowingShape) {
  const int64_t big = std::numeric_limits<int64_t>::max() / 2;
  EXPECT_THROW(Tensor(DType::kFloat32, {big, 4}), Error);
  EXPECT_THROW(Tensor(DType::kFloat32, {-1, 4}), Error);
}

TEST(Tensor, CloneIsDeepAndViewShares) {
  Tensor a = Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4});
  Tensor c = a.clone();
  Tensor v = a.view({4});
  a.data<float>()[0] = 9;
  EXPECT_EQ(c.data<float>()[0], 1);
  EXPECT_EQ(v.data<float>()[0], 9);
  EXPECT_THROW((void)a.view({3}), Error);
}

TEST(Tensor, StringTensorsKeepElements) {
  Tensor t(DType::kString, {2});
  t.strings()[1] = "hello";
  Tensor c = t.clone();
  EXPECT_EQ(c.strings()[1], "hello");
}

TEST(DType, HalfRoundTripsRepresentableValues) {
  for (float f : {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f, 5.960464477539063e-08f}) {
    EXPECT_EQ(to_float(to_float16(f)), f) << f;
  }
  EXPECT_TRUE(std::isinf(to_float(to_float16(70000.0f))));
  EXPECT_TRUE(std::isnan(to_float(to_float16(std::nanf("")))));
  EXPECT_EQ(to_float16(1.0f + 1.0f / 4096).bits, to_float16(1.0f).bits);  // ties to even
}

TEST(DType, BFloat16RoundsToNearestEven) {
  EXPECT_EQ(to_float(to_bfloat16(1.0f)), 1.0f);
  EXPECT_EQ(to_float(to_bfloat16(3.140625f)), 3.140625f);
  EXPECT_TRUE(std::isnan(to_float(to_bfloat16(std::nanf("")))));
}

}  // namespace
}  // namespace bog::runtime
