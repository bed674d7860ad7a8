// Output comparison with the ONNX backend runner's rules (conformance/value_compare.h).
#include "conformance/value_compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace bog::conformance {
namespace {

using runtime::DType;
using runtime::Tensor;
using runtime::Value;

Value floats(const std::vector<float>& v, runtime::Shape shape = {}) {
  if (shape.empty()) shape = {static_cast<int64_t>(v.size())};
  Tensor t(DType::kFloat32, shape);
  for (size_t i = 0; i < v.size(); ++i) t.data<float>()[i] = v[i];
  return Value::from_tensor(std::move(t));
}

TEST(ValueCompare, ToleranceIsAtolPlusRtolTimesExpected) {
  const Tolerance tol{1e-3, 1e-7};
  // |a - e| <= atol + rtol * |e|: 100.09 is within 0.1 of 100, 100.2 is not.
  EXPECT_TRUE(compare_values(floats({100.09f}), floats({100.0f}), tol).ok);
  const CompareResult r = compare_values(floats({100.2f, 1.0f}), floats({100.0f, 1.0f}), tol);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.mismatches, 1);
  EXPECT_NEAR(r.max_abs_diff, 0.2, 1e-4);
  EXPECT_NE(r.reason.find("1 of 2 elements differ"), std::string::npos) << r.reason;
}

TEST(ValueCompare, NanEqualsNanAndInfinitiesAreExact) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const Tolerance tol;
  EXPECT_TRUE(compare_values(floats({nan, inf, -inf}), floats({nan, inf, -inf}), tol).ok);
  EXPECT_FALSE(compare_values(floats({1.0f}), floats({nan}), tol).ok);
  EXPECT_FALSE(compare_values(floats({inf}), floats({-inf}), tol).ok);
  EXPECT_FALSE(compare_values(floats({3e38f}), floats({inf}), tol).ok);
}

TEST(ValueCompare, DtypeShapeAndKindMustMatchExactly) {
  const Tolerance tol;
  EXPECT_NE(
      compare_values(floats({1, 2}, {1, 2}), floats({1, 2}, {2, 1}), tol).reason.find("shape"),
      std::string::npos);
  Tensor d(DType::kFloat64, {2});
  d.data<double>()[0] = 1;
  d.data<double>()[1] = 2;
  EXPECT_NE(
      compare_values(Value::from_tensor(std::move(d)), floats({1, 2}), tol).reason.find("dtype"),
      std::string::npos);
  std::vector<Tensor> items;
  items.push_back(floats({1}).tensor);
  const Value seq = Value::from_sequence(std::move(items), DType::kFloat32);
  EXPECT_FALSE(compare_values(seq, floats({1}), tol).ok);
}

TEST(ValueCompare, SequencesAndOptionalsCompareElementByElement) {
  const Tolerance tol;
  auto seq = [](std::vector<std::vector<float>> parts) {
    std::vector<Tensor> items;
    for (const auto& p : parts) items.push_back(floats(p).tensor);
    return Value::from_sequence(std::move(items), DType::kFloat32);
  };
  EXPECT_TRUE(compare_values(seq({{1}, {2, 3}}), seq({{1}, {2, 3}}), tol).ok);
  const CompareResult r = compare_values(seq({{1}, {2, 4}}), seq({{1}, {2, 3}}), tol);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.reason.rfind("sequence element 1:", 0), 0u) << r.reason;
  EXPECT_FALSE(compare_values(seq({{1}}), seq({{1}, {2}}), tol).ok);
  EXPECT_TRUE(compare_values(Value::none(), Value::none(), tol).ok);
  EXPECT_FALSE(compare_values(Value::some(floats({1})), Value::none(), tol).ok);
  EXPECT_FALSE(compare_values(Value::some(floats({1})), Value::some(floats({2})), tol).ok);
}

TEST(ValueCompare, DecodesSmallFloatFormats) {
  Tensor t(DType::kFloat8E4M3FN, {3});
  t.data<uint8_t>()[0] = 0x38;  // 1.0: exponent 7 (bias 7), mantissa 0
  t.data<uint8_t>()[1] = 0xC0;  // -2.0
  t.data<uint8_t>()[2] = 0x7F;  // NaN (fn: all ones)
  EXPECT_EQ(element_as_double(t, 0), 1.0);
  EXPECT_EQ(element_as_double(t, 1), -2.0);
  EXPECT_TRUE(std::isnan(element_as_double(t, 2)));
}

}  // namespace
}  // namespace bog::conformance
