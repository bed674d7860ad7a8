// Reference elementwise kernels against plain loops written here: random shapes (1, odd sizes,
// empty dims) with numpy broadcasting, integer edge cases, NaN handling, attribute defaults,
// and the errors bad input must give (non-broadcastable shapes, mixed or unsupported dtypes).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "common/error.h"
#include "onnx_runtime/providers/reference/reference_provider.h"
#include "tests/runtime/kernel_test_util.h"

namespace bog::runtime {
namespace {

using testing::expect_close;
using testing::float_attr;
using testing::int_attr;
using testing::make_node;
using testing::random_tensor;
using testing::run_node;
using testing::string_attr;

const ReferenceProvider& provider() {
  static const ReferenceProvider p;
  return p;
}

Tensor floats(Shape shape, std::vector<float> v) { return Tensor::from_vector<float>(shape, v); }
template <class T>
Tensor vec(std::vector<T> v) {
  return Tensor::from_vector<T>({static_cast<int64_t>(v.size())}, v);
}
template <class T>
std::vector<T> values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

// Tensor is move-only and an initializer list holds const elements; this wrapper lets a
// braced list of temporaries ({a.clone(), b.clone()}) be moved into the kernel's inputs.
struct Arg {
  Arg(Tensor&& t) : tensor(std::move(t)) {}  // NOLINT(google-explicit-constructor)
  mutable Tensor tensor;
};
std::vector<Tensor> take(std::initializer_list<Arg> args) {
  std::vector<Tensor> v;
  for (const Arg& a : args) v.push_back(std::move(a.tensor));
  return v;
}

Tensor run1(const Node& node, std::initializer_list<Arg> inputs) {
  std::vector<Value> out = run_node(provider(), node, take(inputs));
  return std::move(out.at(0).tensor);
}

void expect_error(ErrorCategory category, const Node& node, std::initializer_list<Arg> inputs) {
  try {
    run_node(provider(), node, take(inputs));
    ADD_FAILURE() << node.op_type << ": expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), category) << e.what();
  }
}

Shape random_shape(std::mt19937& rng, int rank, bool allow_empty) {
  std::uniform_int_distribution<int64_t> dim(allow_empty ? 0 : 1, 5);
  Shape s(static_cast<size_t>(rank));
  for (int64_t& d : s) d = dim(rng);
  return s;
}

// A shape that broadcasts to `full`: some leading dims dropped, some dims set to 1.
Shape broadcastable_to(const Shape& full, std::mt19937& rng) {
  std::uniform_int_distribution<size_t> drop(0, full.size());
  Shape s(full.begin() + static_cast<std::ptrdiff_t>(drop(rng)), full.end());
  for (int64_t& d : s) {
    if (rng() % 3 == 0) d = 1;
  }
  return s;
}

// Flat index into `in` (right-aligned with `out`) for the output multi-index of `flat`:
// written independently of the kernel helpers, by div/mod on the output shape.
int64_t source_index(const Shape& in, const Shape& out, int64_t flat) {
  int64_t src = 0;
  int64_t stride = 1;
  int64_t rest = flat;
  for (size_t k = out.size(); k-- > 0;) {
    const int64_t coord = rest % out[k];
    rest /= out[k];
    const size_t off = out.size() - in.size();
    if (k >= off) {
      const int64_t d = in[k - off];
      src += (d == 1 ? 0 : coord) * stride;
      stride *= d;
    }
  }
  return src;
}

// ---- binary arithmetic with broadcasting ----------------------------------------------------

TEST(ElementwiseKernels, BinaryArithmeticBroadcastsLikeNumpy) {
  const char* ops[] = {"Add", "Sub", "Mul", "Div"};
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    std::mt19937 rng(seed);
    const Shape out_shape = random_shape(rng, static_cast<int>(rng() % 4), seed % 5 == 0);
    Shape a_shape = broadcastable_to(out_shape, rng);
    Shape b_shape = broadcastable_to(out_shape, rng);
    // Make sure the broadcast really gives out_shape: one side keeps the full shape.
    if (seed % 2 == 0) {
      a_shape = out_shape;
    } else {
      b_shape = out_shape;
    }
    const char* op = ops[seed % 4];
    SCOPED_TRACE(op);
    const Tensor a = random_tensor(a_shape, seed, -2.0f, 2.0f);
    const Tensor b = random_tensor(b_shape, seed + 100, 0.5f, 2.0f);
    Tensor expected(DType::kFloat32, out_shape);
    for (int64_t i = 0; i < expected.numel(); ++i) {
      const float x = a.data<float>()[source_index(a_shape, out_shape, i)];
      const float y = b.data<float>()[source_index(b_shape, out_shape, i)];
      const std::string name = op;
      expected.data<float>()[i] = name == "Add"   ? x + y
                                  : name == "Sub" ? x - y
                                  : name == "Mul" ? x * y
                                                  : x / y;
    }
    const Tensor got = run1(make_node(op, 2, 1, 17), {a.clone(), b.clone()});
    expect_close(got, expected);
  }
}

TEST(ElementwiseKernels, IntegerArithmeticTruncatesAndWraps) {
  const Node div = make_node("Div", 2, 1, 14);
  EXPECT_EQ(
      values<int32_t>(run1(div, {vec<int32_t>({7, -7, 7, -7}), vec<int32_t>({2, 2, -2, -2})})),
      (std::vector<int32_t>{3, -3, -3, 3}));
  const int64_t min64 = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(values<int64_t>(run1(div, {vec<int64_t>({min64}), vec<int64_t>({-1})})),
            (std::vector<int64_t>{min64}));
  const Node add = make_node("Add", 2, 1, 14);
  EXPECT_EQ(values<int8_t>(run1(add, {vec<int8_t>({127, -128}), vec<int8_t>({1, -1})})),
            (std::vector<int8_t>{-128, 127}));
  EXPECT_EQ(
      values<uint8_t>(run1(make_node("Sub", 2, 1, 14), {vec<uint8_t>({0}), vec<uint8_t>({1})})),
      (std::vector<uint8_t>{255}));
  expect_error(ErrorCategory::kInvalidArgument, div, {vec<int32_t>({1}), vec<int32_t>({0})});
}

TEST(ElementwiseKernels, ModFollowsDivisorSignUnlessFmod) {
  const Tensor a = vec<int32_t>({-4, 7, 5, 4, -7, 8});
  const Tensor b = vec<int32_t>({2, -3, 8, -2, 3, 5});
  EXPECT_EQ(values<int32_t>(run1(make_node("Mod", 2, 1, 13), {a.clone(), b.clone()})),
            (std::vector<int32_t>{0, -2, 5, 0, 2, 3}));
  EXPECT_EQ(values<int32_t>(
                run1(make_node("Mod", 2, 1, 13, {int_attr("fmod", 1)}), {a.clone(), b.clone()})),
            (std::vector<int32_t>{0, 1, 5, 0, -1, 3}));
  const Tensor fa = floats({4}, {-4.3f, 7.2f, 5.0f, -7.5f});
  const Tensor fb = floats({4}, {2.1f, -3.4f, 8.0f, 3.0f});
  const Tensor got =
      run1(make_node("Mod", 2, 1, 13, {int_attr("fmod", 1)}), {fa.clone(), fb.clone()});
  expect_close(got, floats({4}, {std::fmod(-4.3f, 2.1f), std::fmod(7.2f, -3.4f), 5.0f, -1.5f}));
}

TEST(ElementwiseKernels, PowAcceptsMixedExponentTypes) {
  const Tensor got =
      run1(make_node("Pow", 2, 1, 15), {floats({3}, {2.0f, 3.0f, 4.0f}), vec<int64_t>({3, 2, -1})});
  expect_close(got, floats({3}, {8.0f, 9.0f, 0.25f}));
  EXPECT_EQ(values<int64_t>(run1(make_node("Pow", 2, 1, 15),
                                 {vec<int64_t>({2, 3, -2, 1}), vec<int64_t>({10, 3, 3, -5})})),
            (std::vector<int64_t>{1024, 27, -8, 1}));
  EXPECT_EQ(values<int32_t>(run1(make_node("Pow", 2, 1, 15),
                                 {vec<int32_t>({4, 2}), floats({2}, {0.5f, 3.0f})})),
            (std::vector<int32_t>{2, 8}));
}

TEST(ElementwiseKernels, Float16AddComputesThroughFloat) {
  Tensor a(DType::kFloat16, {3});
  Tensor b(DType::kFloat16, {1});
  const float av[] = {1.0f, -2.5f, 1000.0f};
  for (int i = 0; i < 3; ++i) a.data<Float16>()[i] = to_float16(av[i]);
  b.data<Float16>()[0] = to_float16(0.5f);
  const Tensor got = run1(make_node("Add", 2, 1, 14), {std::move(a), std::move(b)});
  ASSERT_EQ(got.dtype(), DType::kFloat16);
  EXPECT_EQ(to_float(got.data<Float16>()[0]), 1.5f);
  EXPECT_EQ(to_float(got.data<Float16>()[1]), -2.0f);
  EXPECT_EQ(to_float(got.data<Float16>()[2]), 1000.5f);
}

TEST(ElementwiseKernels, LegacyBroadcastUsesAxis) {
  // Opset 6: B of shape [3] broadcast onto A [2,3,4] at axis 1.
  const Node node = make_node("Add", 2, 1, 6, {int_attr("broadcast", 1), int_attr("axis", 1)});
  const Tensor a = random_tensor({2, 3, 4}, 3);
  const Tensor b = floats({3}, {10.0f, 20.0f, 30.0f});
  const Tensor got = run1(node, {a.clone(), b.clone()});
  Tensor expected(DType::kFloat32, {2, 3, 4});
  for (int64_t i = 0; i < 24; ++i) {
    expected.data<float>()[i] = a.data<float>()[i] + b.data<float>()[(i / 4) % 3];
  }
  expect_close(got, expected);
}

TEST(ElementwiseKernels, BadShapesAndDtypesAreErrors) {
  expect_error(ErrorCategory::kInvalidModel, make_node("Add", 2, 1, 14),
               {random_tensor({2, 3}, 1), random_tensor({4}, 2)});
  expect_error(ErrorCategory::kInvalidModel, make_node("Mul", 2, 1, 14),
               {random_tensor({3}, 1), vec<int64_t>({1, 2, 3})});
  expect_error(ErrorCategory::kUnsupported, make_node("Sqrt", 1, 1, 13), {vec<int32_t>({4})});
  expect_error(ErrorCategory::kUnsupported, make_node("And", 2, 1, 7),
               {random_tensor({2}, 1), random_tensor({2}, 2)});
  expect_error(ErrorCategory::kUnsupported,
               make_node("BitShift", 2, 1, 11, {string_attr("direction", "LEFT")}),
               {vec<int32_t>({1}), vec<int32_t>({1})});
  expect_error(ErrorCategory::kInvalidModel, make_node("Where", 3, 1, 16),
               {vec<int32_t>({1}), random_tensor({1}, 1), random_tensor({1}, 2)});
}

// ---- unary math and activations -------------------------------------------------------------

TEST(ElementwiseKernels, UnaryMathMatchesStdOnRandomShapes) {
  struct Case {
    const char* op;
    float (*f)(float);
    float lo, hi;
  };
  const Case cases[] = {
      {"Abs", [](float x) { return std::fabs(x); }, -3, 3},
      {"Neg", [](float x) { return -x; }, -3, 3},
      {"Sqrt", [](float x) { return std::sqrt(x); }, 0, 9},
      {"Exp", [](float x) { return std::exp(x); }, -5, 5},
      {"Log", [](float x) { return std::log(x); }, 0.1f, 9},
      {"Tanh", [](float x) { return std::tanh(x); }, -4, 4},
      {"Floor", [](float x) { return std::floor(x); }, -4, 4},
      {"Reciprocal", [](float x) { return 1.0f / x; }, 0.5f, 4},
      {"Erf", [](float x) { return std::erf(x); }, -3, 3},
      {"Relu", [](float x) { return x > 0 ? x : 0.0f; }, -3, 3},
      {"LeakyRelu", [](float x) { return x < 0 ? 0.01f * x : x; }, -3, 3},
      {"Sigmoid", [](float x) { return 1.0f / (1.0f + std::exp(-x)); }, -8, 8},
      {"Softsign", [](float x) { return x / (1.0f + std::fabs(x)); }, -8, 8},
      {"HardSigmoid", [](float x) { return std::fmax(0.0f, std::fmin(1.0f, 0.2f * x + 0.5f)); }, -5,
       5},
      {"HardSwish", [](float x) { return x * std::fmax(0.0f, std::fmin(1.0f, x / 6 + 0.5f)); }, -5,
       5},
      {"Elu", [](float x) { return x < 0 ? std::exp(x) - 1 : x; }, -3, 3},
      {"Softplus", [](float x) { return std::log(std::exp(x) + 1); }, -5, 5},
      {"Gelu", [](float x) { return 0.5f * x * (1 + std::erf(x / std::sqrt(2.0f))); }, -4, 4},
  };
  uint32_t seed = 0;
  for (const Case& c : cases) {
    ++seed;
    SCOPED_TRACE(::testing::Message() << c.op << " seed " << seed);
    std::mt19937 rng(seed);
    const Shape shape = random_shape(rng, 1 + static_cast<int>(seed % 3), seed % 4 == 0);
    const Tensor x = random_tensor(shape, seed, c.lo, c.hi);
    Tensor expected(DType::kFloat32, shape);
    for (int64_t i = 0; i < x.numel(); ++i) expected.data<float>()[i] = c.f(x.data<float>()[i]);
    expect_close(run1(make_node(c.op, 1, 1, 20), {x.clone()}), expected, 1e-5f, 1e-6f);
  }
}

TEST(ElementwiseKernels, RoundHalvesToEvenAndSignKeepsNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  expect_close(
      run1(make_node("Round", 1, 1, 11), {floats({6}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f})}),
      floats({6}, {0.0f, 2.0f, 2.0f, -0.0f, -2.0f, 2.0f}));
  expect_close(run1(make_node("Sign", 1, 1, 13), {floats({4}, {-3.0f, 0.0f, 2.0f, nan})}),
               floats({4}, {-1.0f, 0.0f, 1.0f, nan}));
  EXPECT_EQ(values<int64_t>(run1(make_node("Sign", 1, 1, 13), {vec<int64_t>({-5, 0, 9})})),
            (std::vector<int64_t>{-1, 0, 1}));
  EXPECT_EQ(values<int32_t>(run1(make_node("Abs", 1, 1, 13), {vec<int32_t>({-5, 0, 9})})),
            (std::vector<int32_t>{5, 0, 9}));
}

TEST(ElementwiseKernels, IsInfHonoursDetectAttributes) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = floats({4}, {inf, -inf, 1.0f, nan});
  EXPECT_EQ(values<bool>(run1(make_node("IsInf", 1, 1, 20), {x.clone()})),
            (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(values<bool>(
                run1(make_node("IsInf", 1, 1, 20, {int_attr("detect_negative", 0)}), {x.clone()})),
            (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(values<bool>(run1(make_node("IsNaN", 1, 1, 20), {x.clone()})),
            (std::vector<bool>{false, false, false, true}));
}

TEST(ElementwiseKernels, ActivationsStayFiniteAtExtremes) {
  const Tensor x = floats({4}, {-200.0f, -30.0f, 30.0f, 200.0f});
  expect_close(run1(make_node("Sigmoid", 1, 1, 13), {x.clone()}),
               floats({4}, {0.0f, 9.357623e-14f, 1.0f, 1.0f}), 1e-5f, 0.0f);
  expect_close(run1(make_node("Softplus", 1, 1, 13), {x.clone()}),
               floats({4}, {0.0f, 9.357623e-14f, 30.0f, 200.0f}), 1e-5f, 0.0f);
  expect_close(run1(make_node("Mish", 1, 1, 18), {x.clone()}),
               floats({4}, {-0.0f, -2.807287e-12f, 30.0f, 200.0f}), 1e-4f, 1e-12f);
}

TEST(ElementwiseKernels, GeluTanhAndPReluBroadcastSlope) {
  const Tensor x = floats({3}, {-1.0f, 0.5f, 2.0f});
  Tensor expected(DType::kFloat32, {3});
  for (int i = 0; i < 3; ++i) {
    const float v = x.data<float>()[i];
    expected.data<float>()[i] =
        0.5f * v * (1 + std::tanh(std::sqrt(2.0f / 3.14159265f) * (v + 0.044715f * v * v * v)));
  }
  expect_close(run1(make_node("Gelu", 1, 1, 20, {string_attr("approximate", "tanh")}), {x.clone()}),
               expected);
  const Tensor prelu =
      run1(make_node("PRelu", 2, 1, 16),
           {floats({2, 2}, {-1.0f, -2.0f, 3.0f, -4.0f}), floats({2}, {0.1f, 0.5f})});
  expect_close(prelu, floats({2, 2}, {-0.1f, -1.0f, 3.0f, -2.0f}));
}

// ---- comparison, logic, bitwise -------------------------------------------------------------

TEST(ElementwiseKernels, ComparisonsGiveBoolAndNaNComparesFalse) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor a = floats({2, 2}, {1.0f, 2.0f, nan, 4.0f});
  const Tensor b = floats({2}, {2.0f, 2.0f});
  EXPECT_EQ(values<bool>(run1(make_node("Greater", 2, 1, 13), {a.clone(), b.clone()})),
            (std::vector<bool>{false, false, false, true}));
  EXPECT_EQ(values<bool>(run1(make_node("LessOrEqual", 2, 1, 16), {a.clone(), b.clone()})),
            (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(values<bool>(run1(make_node("Equal", 2, 1, 13), {a.clone(), b.clone()})),
            (std::vector<bool>{false, true, false, false}));
  Tensor s1(DType::kString, {3});
  s1.strings() = {"a", "bc", ""};
  Tensor s2(DType::kString, {1});
  s2.strings() = {"bc"};
  const Tensor eq = run1(make_node("Equal", 2, 1, 19), {std::move(s1), std::move(s2)});
  EXPECT_EQ(values<bool>(eq), (std::vector<bool>{false, true, false}));
}

TEST(ElementwiseKernels, LogicalAndBitwiseOps) {
  const Tensor a = vec<bool>({true, true, false, false});
  const Tensor b = vec<bool>({true, false, true, false});
  EXPECT_EQ(values<bool>(run1(make_node("And", 2, 1, 7), {a.clone(), b.clone()})),
            (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(values<bool>(run1(make_node("Or", 2, 1, 7), {a.clone(), b.clone()})),
            (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(values<bool>(run1(make_node("Xor", 2, 1, 7), {a.clone(), b.clone()})),
            (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(values<bool>(run1(make_node("Not", 1, 1, 1), {a.clone()})),
            (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(
      values<uint8_t>(run1(make_node("BitShift", 2, 1, 11, {string_attr("direction", "LEFT")}),
                           {vec<uint8_t>({1, 3, 255, 1}), vec<uint8_t>({1, 2, 1, 8})})),
      (std::vector<uint8_t>{2, 12, 254, 0}));
  EXPECT_EQ(
      values<uint32_t>(run1(make_node("BitShift", 2, 1, 11, {string_attr("direction", "RIGHT")}),
                            {vec<uint32_t>({16, 255}), vec<uint32_t>({2})})),
      (std::vector<uint32_t>{4, 63}));
  EXPECT_EQ(values<int32_t>(run1(make_node("BitwiseXor", 2, 1, 18),
                                 {vec<int32_t>({12, -1}), vec<int32_t>({10, 5})})),
            (std::vector<int32_t>{6, -6}));
  EXPECT_EQ(values<uint8_t>(run1(make_node("BitwiseNot", 1, 1, 18), {vec<uint8_t>({0, 5})})),
            (std::vector<uint8_t>{255, 250}));
}

// ---- Where, Clip, variadic ------------------------------------------------------------------

TEST(ElementwiseKernels, WhereBroadcastsThreeWaysIncludingStrings) {
  const Tensor cond = Tensor::from_vector<bool>({2, 1}, {true, false});
  const Tensor x = floats({1, 3}, {1.0f, 2.0f, 3.0f});
  const Tensor y = floats({1}, {-1.0f});
  expect_close(run1(make_node("Where", 3, 1, 16), {cond.clone(), x.clone(), y.clone()}),
               floats({2, 3}, {1.0f, 2.0f, 3.0f, -1.0f, -1.0f, -1.0f}));
  Tensor sx(DType::kString, {2});
  sx.strings() = {"yes", "oui"};
  Tensor sy(DType::kString, {});
  sy.strings() = {"no"};
  const Tensor got =
      run1(make_node("Where", 3, 1, 16),
           {Tensor::from_vector<bool>({2}, {false, true}), std::move(sx), std::move(sy)});
  EXPECT_EQ(got.strings(), (std::vector<std::string>{"no", "oui"}));
  // An empty dim broadcasts to an empty output.
  const Tensor empty =
      run1(make_node("Where", 3, 1, 16), {Tensor(DType::kBool, {0, 1}), x.clone(), y.clone()});
  EXPECT_EQ(empty.shape(), (Shape{0, 3}));
}

TEST(ElementwiseKernels, ClipAttributeAndInputForms) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = floats({5}, {-3.0f, -0.5f, 0.5f, 3.0f, nan});
  expect_close(run1(make_node("Clip", 1, 1, 6, {float_attr("min", -1.0f), float_attr("max", 1.0f)}),
                    {x.clone()}),
               floats({5}, {-1.0f, -0.5f, 0.5f, 1.0f, nan}));
  expect_close(
      run1(make_node("Clip", 3, 1, 13), {x.clone(), floats({}, {-1.0f}), floats({}, {0.0f})}),
      floats({5}, {-1.0f, -0.5f, 0.0f, 0.0f, nan}));
  // Only max given (min omitted with an empty name).
  Node only_max = make_node("Clip", 3, 1, 13);
  only_max.inputs[1].clear();
  std::vector<Value> in;
  in.push_back(Value::from_tensor(x.clone()));
  in.push_back(Value{});
  in.push_back(Value::from_tensor(floats({}, {0.0f})));
  const std::vector<const Value*> ptrs = {&in[0], nullptr, &in[2]};
  std::vector<Value> out = run_node(provider(), only_max, ptrs);
  expect_close(out[0].tensor, floats({5}, {-3.0f, -0.5f, 0.0f, 0.0f, nan}));
  // min > max: everything becomes max.
  EXPECT_EQ(values<int32_t>(run1(make_node("Clip", 3, 1, 13),
                                 {vec<int32_t>({-5, 0, 5}), vec<int32_t>({2}), vec<int32_t>({1})})),
            (std::vector<int32_t>{1, 1, 1}));
}

TEST(ElementwiseKernels, VariadicOpsBroadcastAndPropagateNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor a = floats({2, 2}, {1.0f, 5.0f, nan, 2.0f});
  const Tensor b = floats({2}, {3.0f, 4.0f});
  const Tensor c = floats({1}, {0.0f});
  expect_close(run1(make_node("Max", 3, 1, 13), {a.clone(), b.clone(), c.clone()}),
               floats({2, 2}, {3.0f, 5.0f, nan, 4.0f}));
  expect_close(run1(make_node("Min", 3, 1, 13), {a.clone(), b.clone(), c.clone()}),
               floats({2, 2}, {0.0f, 0.0f, nan, 0.0f}));
  expect_close(run1(make_node("Sum", 3, 1, 13), {a.clone(), b.clone(), c.clone()}),
               floats({2, 2}, {4.0f, 9.0f, nan, 6.0f}));
  expect_close(run1(make_node("Mean", 2, 1, 13), {a.clone(), b.clone()}),
               floats({2, 2}, {2.0f, 4.5f, nan, 3.0f}));
  expect_close(run1(make_node("Sum", 1, 1, 13), {a.clone()}), a);
  EXPECT_EQ(
      values<int64_t>(run1(make_node("Max", 2, 1, 13), {vec<int64_t>({1, 9}), vec<int64_t>({4})})),
      (std::vector<int64_t>{4, 9}));
}

// ---- Cast -----------------------------------------------------------------------------------

Tensor cast(const Tensor& x, DType to, std::vector<Attribute> extra = {}) {
  extra.push_back(int_attr("to", static_cast<int64_t>(to)));
  return run1(make_node("Cast", 1, 1, 25, std::move(extra)), {x.clone()});
}

TEST(ElementwiseKernels, CastFloatToIntTruncatesAndSubByteWraps) {
  const Tensor x = floats({5}, {-9.0f, -8.0f, 7.0f, 8.0f, 15.0f});
  EXPECT_EQ(values<int8_t>(cast(x, DType::kInt4)), (std::vector<int8_t>{7, -8, 7, -8, -1}));
  EXPECT_EQ(values<uint8_t>(cast(floats({3}, {-1.0f, 2.0f, 5.0f}), DType::kUint2)),
            (std::vector<uint8_t>{3, 2, 1}));
  EXPECT_EQ(values<int32_t>(cast(floats({4}, {1.9f, -1.9f, 0.0f, 100.5f}), DType::kInt32)),
            (std::vector<int32_t>{1, -1, 0, 100}));
  EXPECT_EQ(values<bool>(cast(floats({3}, {0.0f, -0.1f, std::nanf("")}), DType::kBool)),
            (std::vector<bool>{false, true, true}));
  EXPECT_EQ(values<float>(cast(vec<int64_t>({-3, 16777217}), DType::kFloat32)),
            (std::vector<float>{-3.0f, 16777216.0f}));
}

TEST(ElementwiseKernels, CastToFloat8MatchesOnnxTestData) {
  // Inputs and expected codes from ONNX's test_cast_FLOAT_to_FLOAT8* cases.
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor x = floats(
      {15}, {0.4789254665f, 0.4803366661f, 0.4996848702f, 0.8191054463f, 0.4703124761f,
             0.7229037880f, 1e6f, 1e-7f, std::nanf(""), inf, inf, -inf, -1e-7f, 1e-7f, -1e6f});
  struct Case {
    DType to;
    int saturate;
    std::vector<uint8_t> codes;
  };
  const Case cases[] = {
      {DType::kFloat8E4M3FN,
       1,
       {0x2f, 0x2f, 0x30, 0x35, 0x2f, 0x34, 0x7e, 0x00, 0x7f, 0x7e, 0x7e, 0xfe, 0x80, 0x00, 0xfe}},
      {DType::kFloat8E4M3FN,
       0,
       {0x2f, 0x2f, 0x30, 0x35, 0x2f, 0x34, 0x7f, 0x00, 0x7f, 0x7f, 0x7f, 0xff, 0x80, 0x00, 0xff}},
      {DType::kFloat8E4M3FNUZ,
       1,
       {0x37, 0x37, 0x38, 0x3d, 0x37, 0x3c, 0x7f, 0x00, 0x80, 0x7f, 0x7f, 0xff, 0x00, 0x00, 0xff}},
      {DType::kFloat8E4M3FNUZ,
       0,
       {0x37, 0x37, 0x38, 0x3d, 0x37, 0x3c, 0x80, 0x00, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00, 0x80}},
      {DType::kFloat8E5M2,
       1,
       {0x38, 0x38, 0x38, 0x3b, 0x38, 0x3a, 0x7b, 0x00, 0x7e, 0x7b, 0x7b, 0xfb, 0x80, 0x00, 0xfb}},
      {DType::kFloat8E5M2,
       0,
       {0x38, 0x38, 0x38, 0x3b, 0x38, 0x3a, 0x7c, 0x00, 0x7e, 0x7c, 0x7c, 0xfc, 0x80, 0x00, 0xfc}},
      {DType::kFloat8E5M2FNUZ,
       1,
       {0x3c, 0x3c, 0x3c, 0x3f, 0x3c, 0x3e, 0x7f, 0x00, 0x80, 0x7f, 0x7f, 0xff, 0x00, 0x00, 0xff}},
      {DType::kFloat8E5M2FNUZ,
       0,
       {0x3c, 0x3c, 0x3c, 0x3f, 0x3c, 0x3e, 0x80, 0x00, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00, 0x80}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message() << dtype_name(c.to) << " saturate " << c.saturate);
    const Tensor got = cast(x, c.to, {int_attr("saturate", c.saturate)});
    EXPECT_EQ(got.dtype(), c.to);
    EXPECT_EQ(values<uint8_t>(got), c.codes);
  }
}

TEST(ElementwiseKernels, CastFloat4AndE8M0) {
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor x = floats({15}, {0.48f, 0.25f, 1.05f, -3.5f, -8.0f, 9.0f, 1e6f, 1e-7f,
                                 std::nanf(""), inf, inf, -inf, -4.0f, 0.01f, -0.0f});
  EXPECT_EQ(values<uint8_t>(cast(x, DType::kFloat4E2M1)),
            (std::vector<uint8_t>{0x1, 0x0, 0x2, 0xe, 0xf, 0x7, 0x7, 0x0, 0x8, 0x7, 0x7, 0xf, 0xe,
                                  0x0, 0x8}));
  const Tensor back = cast(cast(x, DType::kFloat4E2M1), DType::kFloat32);
  EXPECT_EQ(values<float>(back)[3], -4.0f);
  EXPECT_EQ(values<float>(back)[5], 6.0f);
  const Tensor e = floats({8}, {0.0f, 0.124f, 0.25f, 0.5f, 1.1f, 2.0f, 4.0f, 8.0f});
  EXPECT_EQ(values<uint8_t>(cast(e, DType::kFloat8E8M0)),
            (std::vector<uint8_t>{0x00, 0x7c, 0x7d, 0x7e, 0x80, 0x80, 0x81, 0x82}));
  EXPECT_EQ(values<uint8_t>(cast(e, DType::kFloat8E8M0, {string_attr("round_mode", "down")}))[4],
            0x7f);
  Tensor codes = Tensor::from_vector<uint8_t>({2}, {0x7c, 0x82});
  Tensor typed(DType::kFloat8E8M0, {2});
  std::copy_n(codes.data<uint8_t>(), 2, typed.data<uint8_t>());
  EXPECT_EQ(values<float>(cast(typed, DType::kFloat32)), (std::vector<float>{0.125f, 8.0f}));
}

TEST(ElementwiseKernels, CastHalfPrecisionRoundsToNearestEven) {
  // 1 + 2^-11 is a tie between 1 and 1 + 2^-10 in float16: it goes to the even (1).
  const Tensor x =
      Tensor::from_vector<double>({4}, {1.0 + std::ldexp(1.0, -11), 65520.0, -1e-8, 3.14159});
  const Tensor h = cast(x, DType::kFloat16);
  EXPECT_EQ(h.data<Float16>()[0].bits, 0x3C00);
  EXPECT_EQ(h.data<Float16>()[1].bits, 0x7C00);  // rounds past the max: Inf
  EXPECT_EQ(h.data<Float16>()[2].bits, 0x8000);  // -0
  EXPECT_NEAR(to_float(h.data<Float16>()[3]), 3.140625f, 1e-6f);
  const Tensor b = cast(floats({1}, {1.00390625f}), DType::kBFloat16);  // tie -> even (1.0)
  EXPECT_EQ(b.data<BFloat16>()[0].bits, 0x3F80);
}

TEST(ElementwiseKernels, CastStringsBothWays) {
  Tensor s(DType::kString, {6});
  s.strings() = {"1e-5", "NaN", "-INF", "+inf", " 2.5 ", "-7"};
  const Tensor f = cast(s, DType::kFloat32);
  const std::vector<float> v = values<float>(f);
  EXPECT_FLOAT_EQ(v[0], 1e-5f);
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_EQ(v[2], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(v[3], std::numeric_limits<float>::infinity());
  EXPECT_EQ(v[4], 2.5f);
  EXPECT_EQ(v[5], -7.0f);
  Tensor big(DType::kString, {1});
  big.strings() = {"9007199254740993"};  // 2^53 + 1: exact, not through double
  EXPECT_EQ(values<int64_t>(cast(big, DType::kInt64))[0], 9007199254740993LL);
  const Tensor text = cast(
      floats({4}, {0.1f, 100.0f, -std::numeric_limits<float>::infinity(), 1e-5f}), DType::kString);
  EXPECT_EQ(text.strings(), (std::vector<std::string>{"0.1", "100.0", "-INF", "1e-05"}));
  EXPECT_EQ(cast(vec<int32_t>({-12}), DType::kString).strings(), (std::vector<std::string>{"-12"}));
  Tensor bad(DType::kString, {1});
  bad.strings() = {"hello"};
  expect_error(ErrorCategory::kInvalidArgument, make_node("Cast", 1, 1, 25, {int_attr("to", 1)}),
               {std::move(bad)});
}

TEST(ElementwiseKernels, CastLikeAndOldStringTarget) {
  const Tensor got =
      run1(make_node("CastLike", 2, 1, 21), {floats({2}, {1.7f, -2.2f}), vec<int64_t>({0})});
  EXPECT_EQ(values<int64_t>(got), (std::vector<int64_t>{1, -2}));
  const Tensor old =
      run1(make_node("Cast", 1, 1, 1, {string_attr("to", "INT32")}), {floats({1}, {3.9f})});
  EXPECT_EQ(values<int32_t>(old), (std::vector<int32_t>{3}));
  expect_error(ErrorCategory::kInvalidModel, make_node("Cast", 1, 1, 13, {int_attr("to", 99)}),
               {floats({1}, {1.0f})});
  expect_error(ErrorCategory::kUnsupported, make_node("Cast", 1, 1, 13, {int_attr("to", 14)}),
               {floats({1}, {1.0f})});
}

}  // namespace
}  // namespace bog::runtime
