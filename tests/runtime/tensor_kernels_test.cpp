// Reference tensor/shape kernels against naive loops and hand-computed examples: random shapes
// (1, odd sizes, empty dims), negative axes, string tensors, and the errors bad input must give.
#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "common/error.h"
#include "onnx_runtime/providers/reference/reference_provider.h"
#include "tests/runtime/kernel_test_util.h"

namespace bog::runtime {
namespace {

using testing::expect_close;
using testing::int_attr;
using testing::ints_attr;
using testing::make_node;
using testing::random_tensor;
using testing::run_node;
using testing::string_attr;

const ReferenceProvider& provider() {
  static const ReferenceProvider p;
  return p;
}

Tensor ints(Shape shape, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(shape, v); }
Tensor ints1(std::vector<int64_t> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return ints({n}, std::move(v));
}
Tensor floats(Shape shape, std::vector<float> v) { return Tensor::from_vector<float>(shape, v); }

std::vector<float> values(const Tensor& t) {
  return {t.data<float>(), t.data<float>() + t.numel()};
}
std::vector<int64_t> int_values(const Tensor& t) {
  return {t.data<int64_t>(), t.data<int64_t>() + t.numel()};
}

// Tensor is move-only, so an initializer list (which copies) cannot build the input vector.
template <class... Ts>
std::vector<Tensor> tensors(Ts&&... ts) {
  std::vector<Tensor> v;
  (v.push_back(std::forward<Ts>(ts)), ...);
  return v;
}

Tensor run1(const Node& node, std::vector<Tensor> inputs) {
  std::vector<Value> out = run_node(provider(), node, std::move(inputs));
  return std::move(out.at(0).tensor);
}

void expect_invalid_model(const Node& node, std::vector<Tensor> inputs) {
  try {
    run_node(provider(), node, std::move(inputs));
    ADD_FAILURE() << node.op_type << ": expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel) << e.what();
  }
}

Shape random_shape(std::mt19937& rng, int rank, bool allow_empty) {
  std::uniform_int_distribution<int64_t> dim(allow_empty ? 0 : 1, 5);
  Shape s(static_cast<size_t>(rank));
  for (int64_t& d : s) d = dim(rng);
  return s;
}

// Element at multi-index `idx` of a row-major float tensor.
float at(const Tensor& t, const std::vector<int64_t>& idx) {
  int64_t flat = 0;
  for (size_t a = 0; a < idx.size(); ++a) flat = flat * t.shape()[a] + idx[a];
  return t.data<float>()[flat];
}

// Calls f(idx) for every multi-index of shape.
template <class F>
void each_index(const Shape& shape, F f) {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  std::vector<int64_t> idx(shape.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    f(idx);
    for (int64_t a = static_cast<int64_t>(shape.size()) - 1; a >= 0; --a) {
      if (++idx[static_cast<size_t>(a)] < shape[static_cast<size_t>(a)]) break;
      idx[static_cast<size_t>(a)] = 0;
    }
  }
}

TEST(TensorKernels, ReshapeCopiesZeroDimsAndInfersMinusOne) {
  const Tensor x = random_tensor({2, 3, 4}, 1);
  const Tensor y = run1(make_node("Reshape", 2, 1, 13), tensors(x.clone(), ints1({0, -1})));
  EXPECT_EQ(y.shape(), (Shape{2, 12}));
  EXPECT_EQ(values(y), values(x));
}

TEST(TensorKernels, ReshapeAllowZeroKeepsLiteralZero) {
  const Tensor x(DType::kFloat32, {0, 3});
  const Tensor y = run1(make_node("Reshape", 2, 1, 14, {int_attr("allowzero", 1)}),
                        tensors(x.clone(), ints1({3, 0})));
  EXPECT_EQ(y.shape(), (Shape{3, 0}));
}

TEST(TensorKernels, ReshapeRejectsIncompatibleShape) {
  expect_invalid_model(make_node("Reshape", 2, 1, 13),
                       tensors(random_tensor({2, 3}, 2), ints1({4, 2})));
  expect_invalid_model(make_node("Reshape", 2, 1, 13),
                       tensors(random_tensor({2, 3}, 2), ints1({-1, -1})));
  expect_invalid_model(make_node("Reshape", 2, 1, 13),
                       tensors(random_tensor({2, 3}, 2), ints1({4, -1})));
}

TEST(TensorKernels, ReshapeOpset1ReadsShapeAttribute) {
  const Tensor y = run1(make_node("Reshape", 1, 1, 1, {ints_attr("shape", {3, 2})}),
                        tensors(random_tensor({2, 3}, 3)));
  EXPECT_EQ(y.shape(), (Shape{3, 2}));
}

TEST(TensorKernels, SqueezeAndUnsqueezeUseAttributeBefore13AndInputAfter) {
  const Tensor x = random_tensor({1, 3, 1}, 4);
  EXPECT_EQ(
      run1(make_node("Squeeze", 1, 1, 11, {ints_attr("axes", {-1})}), tensors(x.clone())).shape(),
      (Shape{1, 3}));
  EXPECT_EQ(run1(make_node("Squeeze", 2, 1, 13), tensors(x.clone(), ints1({0}))).shape(),
            (Shape{3, 1}));
  EXPECT_EQ(run1(make_node("Squeeze", 1, 1, 13), tensors(x.clone())).shape(), (Shape{3}));
  EXPECT_EQ(run1(make_node("Unsqueeze", 1, 1, 11, {ints_attr("axes", {0, -1})}), tensors(x.clone()))
                .shape(),
            (Shape{1, 1, 3, 1, 1}));
  EXPECT_EQ(run1(make_node("Unsqueeze", 2, 1, 13), tensors(x.clone(), ints1({1, 3}))).shape(),
            (Shape{1, 1, 3, 1, 1}));
  expect_invalid_model(make_node("Squeeze", 2, 1, 13), tensors(x.clone(), ints1({1})));  // dim 3
  expect_invalid_model(make_node("Squeeze", 2, 1, 13), tensors(x.clone(), ints1({3})));  // bad axis
  expect_invalid_model(make_node("Unsqueeze", 2, 1, 13), tensors(x.clone(), ints1({0, 0})));
}

TEST(TensorKernels, FlattenAcceptsAxisEqualToRank) {
  const Tensor x = random_tensor({2, 3, 5}, 5);
  EXPECT_EQ(run1(make_node("Flatten", 1, 1, 13, {int_attr("axis", 3)}), tensors(x.clone())).shape(),
            (Shape{30, 1}));
  EXPECT_EQ(
      run1(make_node("Flatten", 1, 1, 13, {int_attr("axis", -2)}), tensors(x.clone())).shape(),
      (Shape{2, 15}));
  EXPECT_EQ(run1(make_node("Flatten", 1, 1, 13, {int_attr("axis", 0)}), tensors(x.clone())).shape(),
            (Shape{1, 30}));
  expect_invalid_model(make_node("Flatten", 1, 1, 13, {int_attr("axis", 4)}), tensors(x.clone()));
}

TEST(TensorKernels, TransposeMatchesNaiveLoopOnRandomShapes) {
  for (uint32_t seed = 0; seed < 20; ++seed) {
    std::mt19937 rng(seed);
    const int rank = 1 + static_cast<int>(seed % 4);
    const Shape shape = random_shape(rng, rank, seed % 5 == 0);
    std::vector<int64_t> perm(static_cast<size_t>(rank));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    SCOPED_TRACE(::testing::Message() << "seed=" << seed << " shape=" << shape_to_string(shape)
                                      << " perm=" << shape_to_string(perm));
    const Tensor x = random_tensor(shape, seed);
    const Tensor y =
        run1(make_node("Transpose", 1, 1, 13, {ints_attr("perm", perm)}), tensors(x.clone()));
    Shape out_shape(static_cast<size_t>(rank));
    for (int k = 0; k < rank; ++k)
      out_shape[static_cast<size_t>(k)] = shape[static_cast<size_t>(perm[static_cast<size_t>(k)])];
    ASSERT_EQ(y.shape(), out_shape);
    each_index(out_shape, [&](const std::vector<int64_t>& idx) {
      std::vector<int64_t> src(static_cast<size_t>(rank));
      for (int k = 0; k < rank; ++k)
        src[static_cast<size_t>(perm[static_cast<size_t>(k)])] = idx[static_cast<size_t>(k)];
      EXPECT_EQ(at(y, idx), at(x, src));
    });
  }
}

TEST(TensorKernels, TransposeDefaultReversesAxesAndMovesStrings) {
  Tensor s(DType::kString, {2, 3});
  s.strings() = {"a", "b", "c", "d", "e", "f"};
  const Tensor y = run1(make_node("Transpose", 1, 1, 13), tensors(std::move(s)));
  EXPECT_EQ(y.shape(), (Shape{3, 2}));
  EXPECT_EQ(y.strings(), (std::vector<std::string>{"a", "d", "b", "e", "c", "f"}));
}

TEST(TensorKernels, ConcatThenSplitRoundTripsWithEmptyParts) {
  for (uint32_t seed = 0; seed < 15; ++seed) {
    std::mt19937 rng(seed);
    const int rank = 1 + static_cast<int>(seed % 3);
    const int64_t axis =
        static_cast<int64_t>(rng() % static_cast<uint32_t>(rank)) - (seed % 2 ? rank : 0);
    const Shape base = random_shape(rng, rank, false);
    const size_t norm = static_cast<size_t>(axis < 0 ? axis + rank : axis);
    std::vector<Tensor> parts;
    std::vector<int64_t> sizes;
    for (int p = 0; p < 3; ++p) {
      Shape s = base;
      s[norm] = static_cast<int64_t>(rng() % 4);  // 0 allowed: an empty part
      sizes.push_back(s[norm]);
      parts.push_back(random_tensor(s, seed * 10 + static_cast<uint32_t>(p)));
    }
    SCOPED_TRACE(::testing::Message()
                 << "seed=" << seed << " axis=" << axis << " sizes=" << shape_to_string(sizes));
    std::vector<Tensor> in;
    for (const Tensor& t : parts) in.push_back(t.clone());
    const Tensor joined =
        run1(make_node("Concat", 3, 1, 13, {int_attr("axis", axis)}), std::move(in));
    Shape want = base;
    want[norm] = sizes[0] + sizes[1] + sizes[2];
    ASSERT_EQ(joined.shape(), want);
    std::vector<Value> split =
        run_node(provider(), make_node("Split", 2, 3, 13, {int_attr("axis", axis)}),
                 tensors(joined.clone(), ints1(sizes)));
    for (size_t p = 0; p < 3; ++p) expect_close(split[p].tensor, parts[p], 0.0f, 0.0f);
  }
}

TEST(TensorKernels, SplitNumOutputsMakesLastChunkSmaller) {
  std::vector<Value> out =
      run_node(provider(), make_node("Split", 1, 3, 18, {int_attr("num_outputs", 3)}),
               tensors(floats({7}, {0, 1, 2, 3, 4, 5, 6})));
  EXPECT_EQ(values(out[0].tensor), (std::vector<float>{0, 1, 2}));
  EXPECT_EQ(values(out[1].tensor), (std::vector<float>{3, 4, 5}));
  EXPECT_EQ(values(out[2].tensor), (std::vector<float>{6}));
  expect_invalid_model(make_node("Split", 1, 2, 13), tensors(floats({3}, {0, 1, 2})));
}

TEST(TensorKernels, SliceMatchesNaiveLoopWithNegativeStepsAndClamping) {
  std::mt19937 rng(42);
  for (uint32_t seed = 0; seed < 40; ++seed) {
    const Shape shape = random_shape(rng, 2, seed % 7 == 0);
    std::uniform_int_distribution<int64_t> pos(-8, 8);
    std::vector<int64_t> starts{pos(rng), pos(rng)};
    std::vector<int64_t> ends{pos(rng), seed % 3 == 0 ? INT64_MIN : INT64_MAX};
    std::vector<int64_t> steps{(seed % 2) ? -1 : 2, -(1 + static_cast<int64_t>(seed % 3))};
    const std::vector<int64_t> axes{-2, 1};
    SCOPED_TRACE(::testing::Message()
                 << "seed=" << seed << " shape=" << shape_to_string(shape)
                 << " starts=" << shape_to_string(starts) << " ends=" << shape_to_string(ends));
    const Tensor x = random_tensor(shape, seed);
    const Tensor y =
        run1(make_node("Slice", 5, 1, 13),
             tensors(x.clone(), ints1(starts), ints1(ends), ints1(axes), ints1(steps)));
    // Naive: python-style range per axis.
    std::vector<std::vector<int64_t>> picks(2);
    for (size_t a = 0; a < 2; ++a) {
      const int64_t d = shape[a];
      const int64_t s = steps[a];
      int64_t b = starts[a] < 0 ? starts[a] + d : starts[a];
      int64_t e = ends[a] < 0 ? (ends[a] == INT64_MIN ? -1 : ends[a] + d) : ends[a];
      if (s > 0) {
        b = std::clamp<int64_t>(b, 0, d);
        e = std::clamp<int64_t>(e, 0, d);
        for (int64_t i = b; i < e; i += s) picks[a].push_back(i);
      } else {
        b = std::clamp<int64_t>(b, -1, d - 1);
        e = std::clamp<int64_t>(e, -1, d - 1);
        for (int64_t i = b; i > e; i += s) picks[a].push_back(i);
      }
    }
    ASSERT_EQ(y.shape(), (Shape{static_cast<int64_t>(picks[0].size()),
                                static_cast<int64_t>(picks[1].size())}));
    for (size_t i = 0; i < picks[0].size(); ++i) {
      for (size_t j = 0; j < picks[1].size(); ++j) {
        EXPECT_EQ(at(y, {static_cast<int64_t>(i), static_cast<int64_t>(j)}),
                  at(x, {picks[0][i], picks[1][j]}));
      }
    }
  }
}

TEST(TensorKernels, SliceRejectsZeroStepAndRepeatedAxis) {
  const Tensor x = random_tensor({3, 4}, 7);
  expect_invalid_model(make_node("Slice", 5, 1, 13),
                       tensors(x.clone(), ints1({0}), ints1({2}), ints1({0}), ints1({0})));
  expect_invalid_model(make_node("Slice", 4, 1, 13),
                       tensors(x.clone(), ints1({0, 0}), ints1({2, 2}), ints1({1, -1})));
}

TEST(TensorKernels, GatherTakesNegativeIndicesAndRejectsOutOfRange) {
  const Tensor x = floats({3, 2}, {0, 1, 10, 11, 20, 21});
  const Tensor y = run1(make_node("Gather", 2, 1, 13), tensors(x.clone(), ints({2, 1}, {-1, 0})));
  EXPECT_EQ(y.shape(), (Shape{2, 1, 2}));
  EXPECT_EQ(values(y), (std::vector<float>{20, 21, 0, 1}));
  const Tensor z = run1(make_node("Gather", 2, 1, 13, {int_attr("axis", -1)}),
                        tensors(x.clone(), ints({}, {1})));
  EXPECT_EQ(z.shape(), (Shape{3}));
  EXPECT_EQ(values(z), (std::vector<float>{1, 11, 21}));
  expect_invalid_model(make_node("Gather", 2, 1, 13), tensors(x.clone(), ints1({3})));
  expect_invalid_model(make_node("Gather", 2, 1, 13, {int_attr("axis", 2)}),
                       tensors(x.clone(), ints1({0})));
}

TEST(TensorKernels, GatherElementsAndGatherNdWithBatchDims) {
  const Tensor x = floats({2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(values(run1(make_node("GatherElements", 2, 1, 13, {int_attr("axis", 1)}),
                        tensors(x.clone(), ints({2, 2}, {0, 0, 1, 0})))),
            (std::vector<float>{1, 1, 4, 3}));
  const Tensor d = floats({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  const Tensor y = run1(make_node("GatherND", 2, 1, 13, {int_attr("batch_dims", 1)}),
                        tensors(d.clone(), ints({2, 1}, {1, 0})));
  EXPECT_EQ(y.shape(), (Shape{2, 2}));
  EXPECT_EQ(values(y), (std::vector<float>{2, 3, 4, 5}));
}

TEST(TensorKernels, ScatterElementsAppliesEachReduction) {
  const Tensor data = floats({1, 5}, {1, 2, 3, 4, 5});
  const struct {
    const char* reduction;
    std::vector<float> want;
  } cases[] = {{"none", {1, 2.1f, 3, 4, 5}},
               {"add", {1, 5.2f, 3, 4, 5}},
               {"mul", {1, 2 * 1.1f * 2.1f, 3, 4, 5}},
               {"max", {1, 2.1f, 3, 4, 5}},
               {"min", {1, 1.1f, 3, 4, 5}}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.reduction);
    const Tensor y =
        run1(make_node("ScatterElements", 3, 1, 18,
                       {int_attr("axis", 1), string_attr("reduction", c.reduction)}),
             tensors(data.clone(), ints({1, 2}, {1, -4}), floats({1, 2}, {1.1f, 2.1f})));
    expect_close(y, floats({1, 5}, c.want));
  }
}

TEST(TensorKernels, ScatterNdWritesSlices) {
  const Tensor y = run1(make_node("ScatterND", 3, 1, 13),
                        tensors(floats({4, 2}, {0, 0, 0, 0, 0, 0, 0, 0}), ints({2, 1}, {3, 1}),
                                floats({2, 2}, {1, 2, 3, 4})));
  EXPECT_EQ(values(y), (std::vector<float>{0, 0, 3, 4, 0, 0, 1, 2}));
}

TEST(TensorKernels, ExpandAndTileRepeat) {
  const Tensor x = floats({3, 1}, {1, 2, 3});
  const Tensor e = run1(make_node("Expand", 2, 1, 13), tensors(x.clone(), ints1({2, 1, 2})));
  EXPECT_EQ(e.shape(), (Shape{2, 3, 2}));
  EXPECT_EQ(values(e), (std::vector<float>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  const Tensor t = run1(make_node("Tile", 2, 1, 13), tensors(x.clone(), ints1({2, 2})));
  EXPECT_EQ(t.shape(), (Shape{6, 2}));
  EXPECT_EQ(values(t), (std::vector<float>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  expect_invalid_model(make_node("Expand", 2, 1, 13), tensors(x.clone(), ints1({2, 2})));
}

TEST(TensorKernels, PadModesMatchNumpy) {
  const Tensor x = floats({1, 3}, {1, 2, 3});
  const Tensor pads = ints1({0, 2, 0, 4});
  auto run_mode = [&](const char* mode) {
    return values(run1(make_node("Pad", 2, 1, 19, {string_attr("mode", mode)}),
                       tensors(x.clone(), pads.clone())));
  };
  EXPECT_EQ(run_mode("constant"), (std::vector<float>{0, 0, 1, 2, 3, 0, 0, 0, 0}));
  EXPECT_EQ(run_mode("edge"), (std::vector<float>{1, 1, 1, 2, 3, 3, 3, 3, 3}));
  EXPECT_EQ(run_mode("reflect"), (std::vector<float>{3, 2, 1, 2, 3, 2, 1, 2, 3}));
  EXPECT_EQ(run_mode("wrap"), (std::vector<float>{2, 3, 1, 2, 3, 1, 2, 3, 1}));
  // Negative pads crop; constant_value fills.
  const Tensor y =
      run1(make_node("Pad", 3, 1, 13), tensors(x.clone(), ints1({0, -1, 0, 1}), floats({}, {9})));
  EXPECT_EQ(values(y), (std::vector<float>{2, 3, 9}));
  // Opset 2 form: attributes.
  const Tensor z = run1(
      make_node("Pad", 1, 1, 2, {ints_attr("pads", {0, 1, 0, 0}), testing::float_attr("value", 5)}),
      tensors(x.clone()));
  EXPECT_EQ(values(z), (std::vector<float>{5, 1, 2, 3}));
}

TEST(TensorKernels, ShapeHonoursStartAndEnd) {
  const Tensor x(DType::kFloat32, {2, 0, 4});
  EXPECT_EQ(int_values(run1(make_node("Shape", 1, 1, 13), tensors(x.clone()))),
            (std::vector<int64_t>{2, 0, 4}));
  EXPECT_EQ(
      int_values(run1(make_node("Shape", 1, 1, 15, {int_attr("start", -2), int_attr("end", 10)}),
                      tensors(x.clone()))),
      (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(int_values(run1(make_node("Size", 1, 1, 13), tensors(x.clone()))),
            (std::vector<int64_t>{0}));
}

TEST(TensorKernels, TopKKeepsLowerIndexOnTies) {
  const Tensor x = floats({2, 4}, {3, 1, 3, 2, 0, 0, 5, 0});
  std::vector<Value> out =
      run_node(provider(), make_node("TopK", 2, 2, 11), tensors(x.clone(), ints1({2})));
  EXPECT_EQ(values(out[0].tensor), (std::vector<float>{3, 3, 5, 0}));
  EXPECT_EQ(int_values(out[1].tensor), (std::vector<int64_t>{0, 2, 2, 0}));
  std::vector<Value> low =
      run_node(provider(), make_node("TopK", 2, 2, 11, {int_attr("largest", 0)}),
               tensors(x.clone(), ints1({3})));
  EXPECT_EQ(int_values(low[1].tensor), (std::vector<int64_t>{1, 3, 0, 0, 1, 3}));
}

TEST(TensorKernels, UniqueSortedAndUnsorted) {
  const Tensor x = floats({6}, {2, 1, 1, 3, 4, 3});
  std::vector<Value> s = run_node(provider(), make_node("Unique", 1, 4, 11), tensors(x.clone()));
  EXPECT_EQ(values(s[0].tensor), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(int_values(s[1].tensor), (std::vector<int64_t>{1, 0, 3, 4}));
  EXPECT_EQ(int_values(s[2].tensor), (std::vector<int64_t>{1, 0, 0, 2, 3, 2}));
  EXPECT_EQ(int_values(s[3].tensor), (std::vector<int64_t>{2, 1, 2, 1}));
  std::vector<Value> u = run_node(
      provider(), make_node("Unique", 1, 4, 11, {int_attr("sorted", 0)}), tensors(x.clone()));
  EXPECT_EQ(values(u[0].tensor), (std::vector<float>{2, 1, 3, 4}));
  EXPECT_EQ(int_values(u[1].tensor), (std::vector<int64_t>{0, 1, 3, 4}));
  EXPECT_EQ(int_values(u[2].tensor), (std::vector<int64_t>{0, 1, 1, 2, 3, 2}));
  EXPECT_EQ(int_values(u[3].tensor), (std::vector<int64_t>{1, 2, 2, 1}));
}

TEST(TensorKernels, DepthToSpaceInvertsSpaceToDepth) {
  for (const char* mode : {"DCR", "CRD"}) {
    SCOPED_TRACE(mode);
    const Tensor x = random_tensor({2, 3, 4, 6}, 11);
    const Tensor packed =
        run1(make_node("SpaceToDepth", 1, 1, 13, {int_attr("blocksize", 2)}), tensors(x.clone()));
    EXPECT_EQ(packed.shape(), (Shape{2, 12, 2, 3}));
    const Tensor back = run1(make_node("DepthToSpace", 1, 1, 13, {int_attr("blocksize", 2)}),
                             tensors(packed.clone()));
    expect_close(back, x, 0.0f, 0.0f);  // SpaceToDepth's layout is DCR's inverse
    if (std::string(mode) == "CRD") {
      // CRD regroups channels: element (c, dy, dx) of a block comes from channel c*4+dy*2+dx.
      const Tensor y = run1(make_node("DepthToSpace", 1, 1, 13,
                                      {int_attr("blocksize", 2), string_attr("mode", "CRD")}),
                            tensors(packed.clone()));
      EXPECT_EQ(at(y, {1, 2, 3, 1}), at(packed, {1, 2 * 4 + 1 * 2 + 1, 1, 0}));
    }
  }
}

TEST(TensorKernels, CumSumExclusiveReverse) {
  const Tensor x = floats({4}, {1, 2, 3, 4});
  auto run_cs = [&](int64_t exclusive, int64_t reverse) {
    return values(run1(make_node("CumSum", 2, 1, 14,
                                 {int_attr("exclusive", exclusive), int_attr("reverse", reverse)}),
                       tensors(x.clone(), ints({}, {0}))));
  };
  EXPECT_EQ(run_cs(0, 0), (std::vector<float>{1, 3, 6, 10}));
  EXPECT_EQ(run_cs(1, 0), (std::vector<float>{0, 1, 3, 6}));
  EXPECT_EQ(run_cs(0, 1), (std::vector<float>{10, 9, 7, 4}));
  EXPECT_EQ(run_cs(1, 1), (std::vector<float>{9, 7, 4, 0}));
}

TEST(TensorKernels, IdentityClonesSequences) {
  std::vector<Tensor> items;
  items.push_back(floats({2}, {1, 2}));
  const Value seq = Value::from_sequence(std::move(items), DType::kFloat32);
  std::vector<Value> out = run_node(provider(), make_node("Identity", 1, 1, 16), {&seq});
  ASSERT_EQ(out[0].kind, ValueKind::kSequence);
  ASSERT_EQ(out[0].sequence.size(), 1u);
  EXPECT_EQ(values(out[0].sequence[0]), (std::vector<float>{1, 2}));
  EXPECT_NE(out[0].sequence[0].raw(), seq.sequence[0].raw());
}

TEST(TensorKernels, TriluOneHotNonZeroEyeLike) {
  const Tensor m = floats({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  EXPECT_EQ(values(run1(make_node("Trilu", 2, 1, 14), tensors(m.clone(), ints({}, {1})))),
            (std::vector<float>{0, 2, 3, 0, 0, 6, 0, 0, 0}));
  EXPECT_EQ(values(run1(make_node("Trilu", 1, 1, 14, {int_attr("upper", 0)}), tensors(m.clone()))),
            (std::vector<float>{1, 0, 0, 4, 5, 0, 7, 8, 9}));
  const Tensor oh = run1(make_node("OneHot", 3, 1, 11, {int_attr("axis", 0)}),
                         tensors(ints1({0, -1, 5}), floats({}, {3}), floats({2}, {0, 1})));
  EXPECT_EQ(oh.shape(), (Shape{3, 3}));
  EXPECT_EQ(values(oh), (std::vector<float>{1, 0, 0, 0, 0, 0, 0, 1, 0}));
  EXPECT_EQ(int_values(run1(make_node("NonZero", 1, 1, 13), tensors(floats({2, 2}, {0, 1, 1, 0})))),
            (std::vector<int64_t>{0, 1, 1, 0}));
  const Tensor eye = run1(make_node("EyeLike", 1, 1, 22, {int_attr("k", -1)}),
                          tensors(Tensor(DType::kInt32, {3, 2})));
  EXPECT_EQ(std::vector<int32_t>(eye.data<int32_t>(), eye.data<int32_t>() + 6),
            (std::vector<int32_t>{0, 0, 1, 0, 0, 1}));
}

TEST(TensorKernels, RangeCountsWithCeilAndHandlesNarrowFloats) {
  EXPECT_EQ(int_values(run1(make_node("Range", 3, 1, 11),
                            tensors(ints({}, {10}), ints({}, {4}), ints({}, {-3})))),
            (std::vector<int64_t>{10, 7}));
  EXPECT_EQ(run1(make_node("Range", 3, 1, 11), tensors(ints({}, {1}), ints({}, {1}), ints({}, {1})))
                .numel(),
            0);
  auto half = [](float v) {
    Tensor t(DType::kFloat16, {});
    t.data<Float16>()[0] = to_float16(v);
    return t;
  };
  const Tensor y = run1(make_node("Range", 3, 1, 11), tensors(half(1), half(2), half(0.25f)));
  ASSERT_EQ(y.shape(), (Shape{4}));
  EXPECT_EQ(to_float(y.data<Float16>()[3]), 1.75f);
  expect_invalid_model(make_node("Range", 3, 1, 11),
                       tensors(ints({}, {0}), ints({}, {4}), ints({}, {0})));
  // A count past int64 is an error in every dtype, not a conversion the language leaves
  // undefined (the fuzz target's finding in float32, fuzz/regressions/range_count_overflow.onnx).
  expect_invalid_model(
      make_node("Range", 3, 1, 11),
      tensors(Tensor::from_vector<float>({}, {0.0f}), Tensor::from_vector<float>({}, {3.0e33f}),
              Tensor::from_vector<float>({}, {1.0f})));
}

}  // namespace
}  // namespace bog::runtime
