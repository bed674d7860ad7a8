// Resize: identity scales return the input for every mode, nearest upsampling repeats
// elements, linear matches hand values, and bad inputs are errors.
#include <gtest/gtest.h>

#include "common/error.h"
#include "onnx_runtime/providers/reference/reference_provider.h"
#include "tests/runtime/kernel_test_util.h"

namespace bog::runtime {
namespace {

using testing::expect_close;
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

TEST(ResizeKernel, IdentityScaleReturnsInput) {
  ReferenceProvider ref;
  const Shape shapes[] = {{1, 1, 1, 1}, {2, 3, 5, 7}, {1, 1, 4, 1}};
  const char* modes[] = {"nearest", "linear", "cubic"};
  const char* transforms[] = {"half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel"};
  uint32_t seed = 3;
  for (const Shape& shape : shapes) {
    for (const char* mode : modes) {
      for (const char* tr : transforms) {
        ++seed;
        SCOPED_TRACE(::testing::Message() << "seed " << seed << " " << mode << " " << tr << " "
                                          << shape_to_string(shape));
        Tensor x = random_tensor(shape, seed);
        Tensor scales = Tensor::from_vector<float>({4}, {1, 1, 1, 1});
        std::vector<Value> out = run_node(
            ref,
            make_node(
                "Resize", 3, 1, 19,
                {string_attr("mode", mode), string_attr("coordinate_transformation_mode", tr)}),
            tensors(x.clone(), Tensor(), std::move(scales)));
        expect_close(out[0].tensor, x, 1e-6f, 1e-6f);
      }
    }
  }
}

TEST(ResizeKernel, NearestUpsampleRepeatsElements) {
  ReferenceProvider ref;
  Tensor x = Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  std::vector<Value> out = run_node(
      ref, make_node("Resize", 4, 1, 13),
      tensors(x.clone(), Tensor(), Tensor(), Tensor::from_vector<int64_t>({4}, {1, 1, 4, 6})));
  ASSERT_EQ(out[0].tensor.shape(), (Shape{1, 1, 4, 6}));
  for (int64_t r = 0; r < 4; ++r) {
    for (int64_t c = 0; c < 6; ++c) {
      EXPECT_EQ(out[0].tensor.data<float>()[r * 6 + c], x.data<float>()[(r / 2) * 2 + c / 3]);
    }
  }
}

TEST(ResizeKernel, LinearAlignCornersInterpolatesEndpoints) {
  ReferenceProvider ref;
  Tensor x = Tensor::from_vector<float>({1, 3}, {0, 10, 40});
  std::vector<Value> out = run_node(
      ref,
      make_node("Resize", 4, 1, 19,
                {string_attr("mode", "linear"),
                 string_attr("coordinate_transformation_mode", "align_corners")}),
      tensors(std::move(x), Tensor(), Tensor(), Tensor::from_vector<int64_t>({2}, {1, 5})));
  const float want[5] = {0, 5, 10, 25, 40};
  for (int i = 0; i < 5; ++i) EXPECT_FLOAT_EQ(out[0].tensor.data<float>()[i], want[i]);
}

TEST(ResizeKernel, RejectsBothScalesAndSizes) {
  ReferenceProvider ref;
  try {
    run_node(ref, make_node("Resize", 4, 1, 19),
             tensors(random_tensor({1, 2}, 1), Tensor(), Tensor::from_vector<float>({2}, {1, 2}),
                     Tensor::from_vector<int64_t>({2}, {1, 4})));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel);
  }
}

// Found by the fuzz target (fuzz/regressions/resize_negative_sizes_not_larger.onnx: the
// conformance model test_resize_downsample_sizes_nearest_not_larger fed negative sizes): a
// negative size under keep_aspect_ratio_policy gave a negative scale and output length, and the
// kernel indexed an empty tap list. Also a 0-length axis (0/0 scale) and an overflowing scale.
TEST(ResizeKernel, RejectsSizesAndScalesThatGiveNoValidOutputLength) {
  ReferenceProvider ref;
  const auto expect_rejected = [&](const char* policy, Tensor x, Tensor scales, Tensor sizes) {
    SCOPED_TRACE(policy);
    try {
      run_node(ref,
               make_node("Resize", 4, 1, 19,
                         {string_attr("mode", "nearest"),
                          string_attr("keep_aspect_ratio_policy", policy)}),
               tensors(std::move(x), Tensor(), std::move(scales), std::move(sizes)));
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel) << e.what();
    }
  };
  for (const char* policy : {"not_larger", "not_smaller", "stretch"}) {
    expect_rejected(policy, random_tensor({1, 1, 2, 4}, 3), Tensor(),
                    Tensor::from_vector<int64_t>({4}, {-1, 2, -3, 1}));
  }
  expect_rejected("not_smaller", random_tensor({1, 0}, 3), Tensor(),
                  Tensor::from_vector<int64_t>({2}, {1, 2}));
  expect_rejected("stretch", random_tensor({1, 2}, 3),
                  Tensor::from_vector<float>({2}, {1.0f, 1e30f}), Tensor());
}

}  // namespace
}  // namespace bog::runtime
