// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss on small hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "onnx_runtime/providers/reference/reference_provider.h"
#include "tests/runtime/kernel_test_util.h"

namespace bog::runtime {
namespace {

using testing::int_attr;
using testing::make_node;
using testing::random_tensor;
using testing::run_node;
using testing::string_attr;

template <class... T>
std::vector<Tensor> tensors(T&&... t) {
  std::vector<Tensor> v;
  (v.push_back(std::forward<T>(t)), ...);
  return v;
}

// log-probabilities [N=3, C=2]: rows (-0.1, -2.0), (-1.0, -0.5), (-3.0, -0.05).
Tensor logp() {
  return Tensor::from_vector<float>({3, 2}, {-0.1f, -2.0f, -1.0f, -0.5f, -3.0f, -0.05f});
}
Tensor labels() { return Tensor::from_vector<int64_t>({3}, {0, 1, 1}); }

TEST(NllLossKernel, ReductionsMatchHandValues) {
  ReferenceProvider ref;
  const float none[3] = {0.1f, 0.5f, 0.05f};
  std::vector<Value> out = run_node(
      ref, make_node("NegativeLogLikelihoodLoss", 2, 1, 13, {string_attr("reduction", "none")}),
      tensors(logp(), labels()));
  ASSERT_EQ(out[0].tensor.shape(), Shape{3});
  for (int i = 0; i < 3; ++i) EXPECT_FLOAT_EQ(out[0].tensor.data<float>()[i], none[i]);
  out = run_node(
      ref, make_node("NegativeLogLikelihoodLoss", 2, 1, 13, {string_attr("reduction", "sum")}),
      tensors(logp(), labels()));
  EXPECT_FLOAT_EQ(out[0].tensor.data<float>()[0], 0.65f);
  out = run_node(ref, make_node("NegativeLogLikelihoodLoss", 2, 1, 13), tensors(logp(), labels()));
  EXPECT_FLOAT_EQ(out[0].tensor.data<float>()[0], 0.65f / 3);
}

TEST(NllLossKernel, WeightedMeanDividesByWeightsAndSkipsIgnored) {
  ReferenceProvider ref;
  Tensor w = Tensor::from_vector<float>({2}, {2.0f, 0.5f});
  // Label 0 (row 0) is ignored: loss = (0.5*0.5 + 0.05*0.5) / (0.5 + 0.5).
  std::vector<Value> out =
      run_node(ref, make_node("NegativeLogLikelihoodLoss", 3, 1, 22, {int_attr("ignore_index", 0)}),
               tensors(logp(), labels(), std::move(w)));
  EXPECT_FLOAT_EQ(out[0].tensor.data<float>()[0], (0.25f + 0.025f) / 1.0f);
}

TEST(NllLossKernel, RejectsLabelOutOfRange) {
  ReferenceProvider ref;
  try {
    run_node(ref, make_node("NegativeLogLikelihoodLoss", 2, 1, 13),
             tensors(logp(), Tensor::from_vector<int64_t>({3}, {0, 2, 1})));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidArgument);
  }
}

TEST(SoftmaxCrossEntropyLossKernel, EqualsNllOfLogSoftmaxOnRandomShapes) {
  ReferenceProvider ref;
  const Shape shapes[] = {{1, 1}, {4, 3}, {2, 5, 3}, {3, 2, 1, 4}};
  uint32_t seed = 40;
  for (const Shape& shape : shapes) {
    ++seed;
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " " << shape_to_string(shape));
    Tensor scores = random_tensor(shape, seed, -3.0f, 3.0f);
    Shape lshape = shape;
    lshape.erase(lshape.begin() + 1);
    Tensor lab(DType::kInt64, lshape);
    for (int64_t i = 0; i < lab.numel(); ++i) lab.data<int64_t>()[i] = (i * 7 + seed) % shape[1];
    std::vector<Value> out = run_node(ref, make_node("SoftmaxCrossEntropyLoss", 2, 2, 13),
                                      tensors(scores.clone(), lab.clone()));
    const int64_t n = shape[0], c = shape[1], inner = scores.numel() / (n * c);
    double total = 0;
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t i = 0; i < inner; ++i) {
        double sum = 0;
        for (int64_t k = 0; k < c; ++k)
          sum += std::exp(scores.data<float>()[(b * c + k) * inner + i]);
        for (int64_t k = 0; k < c; ++k) {
          const double lp = scores.data<float>()[(b * c + k) * inner + i] - std::log(sum);
          EXPECT_NEAR(out[1].tensor.data<float>()[(b * c + k) * inner + i], lp, 1e-5);
          if (k == lab.data<int64_t>()[b * inner + i]) total -= lp;
        }
      }
    }
    EXPECT_NEAR(out[0].tensor.data<float>()[0], total / double(n * inner), 1e-5);
  }
}

}  // namespace
}  // namespace bog::runtime
