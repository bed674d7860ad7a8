// DFT, the cosine windows, GridSample and NonMaxSuppression on cases with known answers:
// round trips, identity grids, symmetric endpoints and a hand-made suppression scene.
#include <gtest/gtest.h>

#include <cmath>

#include "onnx_runtime/providers/reference/reference_provider.h"
#include "tests/runtime/kernel_test_util.h"

namespace bog::runtime {
namespace {

using testing::expect_close;
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

TEST(DftKernel, InverseOfForwardIsIdentityOnRandomSignals) {
  ReferenceProvider ref;
  const Shape shapes[] = {{1, 1, 2}, {2, 7, 2}, {3, 8, 2}};
  uint32_t seed = 60;
  for (const Shape& shape : shapes) {
    ++seed;
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " " << shape_to_string(shape));
    Tensor x = random_tensor(shape, seed);
    std::vector<Value> f =
        run_node(ref, make_node("DFT", 1, 1, 17, {int_attr("axis", 1)}), tensors(x.clone()));
    std::vector<Value> b =
        run_node(ref, make_node("DFT", 1, 1, 17, {int_attr("axis", 1), int_attr("inverse", 1)}),
                 tensors(std::move(f[0].tensor)));
    expect_close(b[0].tensor, x, 1e-4f, 1e-5f);
  }
}

TEST(DftKernel, OnesidedRealRoundTripAndImpulse) {
  ReferenceProvider ref;
  Tensor x = random_tensor({2, 10, 1}, 5);
  std::vector<Value> f =
      run_node(ref, make_node("DFT", 1, 1, 17, {int_attr("axis", 1), int_attr("onesided", 1)}),
               tensors(x.clone()));
  ASSERT_EQ(f[0].tensor.shape(), (Shape{2, 6, 2}));
  std::vector<Value> b =
      run_node(ref,
               make_node("DFT", 1, 1, 17,
                         {int_attr("axis", 1), int_attr("inverse", 1), int_attr("onesided", 1)}),
               tensors(std::move(f[0].tensor)));
  expect_close(b[0].tensor, x, 1e-4f, 1e-5f);
  // An impulse at 0 transforms to all ones (opset 20: axis as an input, default -2).
  Tensor impulse(DType::kFloat32, {1, 5, 1});
  impulse.data<float>()[0] = 1.0f;
  std::vector<Value> y = run_node(ref, make_node("DFT", 1, 1, 20), tensors(std::move(impulse)));
  for (int k = 0; k < 5; ++k) {
    EXPECT_NEAR(y[0].tensor.data<float>()[2 * k], 1.0f, 1e-6);
    EXPECT_NEAR(y[0].tensor.data<float>()[2 * k + 1], 0.0f, 1e-6);
  }
}

TEST(WindowKernels, SymmetricWindowsAreSymmetricAndHannEndsAtZero) {
  ReferenceProvider ref;
  for (const char* op : {"HannWindow", "HammingWindow", "BlackmanWindow"}) {
    for (const int64_t size : {1, 2, 7, 10}) {
      SCOPED_TRACE(::testing::Message() << op << " size " << size);
      std::vector<Value> w = run_node(ref, make_node(op, 1, 1, 17, {int_attr("periodic", 0)}),
                                      tensors(Tensor::from_vector<int64_t>({}, {size})));
      ASSERT_EQ(w[0].tensor.shape(), Shape{size});
      const float* v = w[0].tensor.data<float>();
      for (int64_t i = 0; i < size; ++i) EXPECT_NEAR(v[i], v[size - 1 - i], 1e-6);
      if (std::string(op) == "HannWindow" && size > 1) {
        EXPECT_NEAR(v[0], 0.0f, 1e-7);
      }
    }
  }
}

TEST(GridSampleKernel, IdentityGridReturnsInput) {
  ReferenceProvider ref;
  const int64_t h = 3, w = 5;
  Tensor x = random_tensor({2, 3, h, w}, 9);
  Tensor grid(DType::kFloat32, {2, h, w, 2});
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < w; ++j) {
        float* g = grid.data<float>() + ((b * h + i) * w + j) * 2;
        g[0] = -1.0f + 2.0f * float(j) / float(w - 1);  // x first
        g[1] = -1.0f + 2.0f * float(i) / float(h - 1);
      }
  for (const char* mode : {"nearest", "linear", "cubic"}) {
    SCOPED_TRACE(mode);
    std::vector<Value> y =
        run_node(ref,
                 make_node("GridSample", 2, 1, 20,
                           {string_attr("mode", mode), int_attr("align_corners", 1)}),
                 tensors(x.clone(), grid.clone()));
    expect_close(y[0].tensor, x, 1e-5f, 1e-5f);
  }
}

TEST(NonMaxSuppressionKernel, SuppressesOverlapsPerClassInScoreOrder) {
  ReferenceProvider ref;
  // Boxes 0 and 1 overlap heavily (IoU 0.81), box 2 is apart.
  Tensor boxes = Tensor::from_vector<float>({1, 3, 4}, {0, 0, 1, 1, 0, 0.1f, 1, 1, 5, 5, 6, 6});
  Tensor scores = Tensor::from_vector<float>({1, 2, 3}, {0.5f, 0.9f, 0.3f, 0.1f, 0.2f, 0.05f});
  std::vector<Value> out = run_node(
      ref, make_node("NonMaxSuppression", 5, 1, 11),
      tensors(std::move(boxes), std::move(scores), Tensor::from_vector<int64_t>({1}, {2}),
              Tensor::from_vector<float>({1}, {0.5f}), Tensor::from_vector<float>({1}, {0.08f})));
  // class 0: 1 then 2 (0 suppressed by 1); class 1: 1 then 0 is suppressed, 2 is under the
  // score threshold.
  const int64_t want[] = {0, 0, 1, 0, 0, 2, 0, 1, 1};
  ASSERT_EQ(out[0].tensor.shape(), (Shape{3, 3}));
  for (int i = 0; i < 9; ++i) EXPECT_EQ(out[0].tensor.data<int64_t>()[i], want[i]) << i;
}

}  // namespace
}  // namespace bog::runtime
