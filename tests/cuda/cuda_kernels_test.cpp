// Every cuda kernel against the reference kernel on randomized shapes (with 1, odd sizes and an
// empty dim). Needs a CUDA device: without one each test is skipped and says why.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "common/error.h"

#include "onnx_runtime/providers/reference/reference_provider.h"
#include "tests/cuda/cuda_test_util.h"

namespace bog::runtime::testing {
namespace {

struct Case {
  std::string op;
  int opset;
  std::vector<Attribute> attrs;
  std::vector<Tensor> inputs;
  std::string label;
};

// One input of a case, movable out of an initializer list (Tensor is move-only).
struct In {
  In(Tensor x) : t(std::move(x)) {}  // NOLINT: implicit, so cases read as {tensor, tensor}
  mutable Tensor t;
};

Tensor int64s(const Shape& shape, std::vector<int64_t> v) { return Tensor::from_vector(shape, v); }

// Shapes for one seed: ranks 1-4, dims from {0, 1, 2, 3, 5, 7, 13, 64}.
Shape random_shape(std::mt19937& rng, int rank, bool allow_empty) {
  static const int64_t dims[] = {1, 2, 3, 5, 7, 13, 64, 0};
  std::uniform_int_distribution<int> pick(0, allow_empty ? 7 : 6);
  Shape s;
  for (int i = 0; i < rank; ++i) s.push_back(dims[pick(rng)]);
  return s;
}

std::vector<Case> cases_for_seed(uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Case> out;
  auto add = [&](std::string op, int opset, std::vector<Attribute> attrs,
                 std::initializer_list<In> list) {
    std::vector<Tensor> in;
    for (const In& i : list) in.push_back(std::move(i.t));
    std::string label = op;
    for (const Tensor& t : in) label += " " + shape_to_string(t.shape());
    out.push_back({std::move(op), opset, std::move(attrs), std::move(in), std::move(label)});
  };
  const Shape s = random_shape(rng, 1 + static_cast<int>(seed % 4), true);
  for (const char* op : {"Neg", "Abs", "Sqrt", "Reciprocal", "Exp", "Tanh", "Sigmoid", "Relu",
                         "Erf"}) {
    const bool positive = std::string(op) == "Sqrt" || std::string(op) == "Reciprocal";
    add(op, 17, {}, {random_tensor(s, seed, positive ? 0.1f : -2.0f, 2.0f)});
  }
  add("Log", 17, {}, {random_tensor(s, seed, 0.1f, 3.0f)});
  add("Gelu", 20, {}, {random_tensor(s, seed, -3.0f, 3.0f)});
  add("Gelu", 20, {string_attr("approximate", "tanh")}, {random_tensor(s, seed, -3.0f, 3.0f)});
  // Broadcasting: b drops leading dims and sets some to 1.
  Shape b = s;
  if (!b.empty()) b.erase(b.begin());
  for (int64_t& d : b) d = (rng() % 2) ? d : 1;
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    add(op, 17, {}, {random_tensor(s, seed), random_tensor(b, seed + 1, 0.5f, 1.5f)});
    add(op, 17, {}, {random_tensor(b, seed + 2), random_tensor(s, seed + 3, 0.5f, 1.5f)});
  }
  add("Pow", 17, {}, {random_tensor(s, seed, 0.1f, 2.0f), Tensor::from_vector<float>({}, {2.0f})});
  add("Pow", 17, {}, {random_tensor(s, seed, 0.1f, 2.0f), Tensor::from_vector<float>({}, {3.0f})});
  // MatMul: 2-D x 2-D, batched, broadcast weight, broadcast batches, 1-D operands.
  std::uniform_int_distribution<int64_t> dim(1, 40);
  const int64_t m = dim(rng), k = dim(rng), n = dim(rng);
  add("MatMul", 17, {}, {random_tensor({m, k}, seed), random_tensor({k, n}, seed + 1)});
  add("MatMul", 17, {}, {random_tensor({3, m, k}, seed), random_tensor({k, n}, seed + 1)});
  add("MatMul", 17, {}, {random_tensor({2, 3, m, k}, seed), random_tensor({2, 3, k, n}, seed + 1)});
  add("MatMul", 17, {}, {random_tensor({2, 1, m, k}, seed), random_tensor({1, 3, k, n}, seed + 1)});
  add("MatMul", 17, {}, {random_tensor({m, k}, seed), random_tensor({4, k, n}, seed + 1)});
  add("MatMul", 17, {}, {random_tensor({k}, seed), random_tensor({k, n}, seed + 1)});
  add("MatMul", 17, {}, {random_tensor({m, k}, seed), random_tensor({k}, seed + 1)});
  add("MatMul", 17, {}, {random_tensor({m, 0}, seed), random_tensor({0, n}, seed + 1)});
  for (int ta = 0; ta < 2; ++ta) {
    for (int tb = 0; tb < 2; ++tb) {
      add("Gemm", 17,
          {int_attr("transA", ta), int_attr("transB", tb), float_attr("alpha", 0.5f),
           float_attr("beta", 2.0f)},
          {random_tensor(ta ? Shape{k, m} : Shape{m, k}, seed),
           random_tensor(tb ? Shape{n, k} : Shape{k, n}, seed + 1), random_tensor({n}, seed + 2)});
    }
  }
  add("Gemm", 17, {}, {random_tensor({m, k}, seed), random_tensor({k, n}, seed + 1)});
  add("Gemm", 17, {}, {random_tensor({m, k}, seed), random_tensor({k, n}, seed + 1),
                       random_tensor({m, 1}, seed + 2)});
  // Row ops on [rows, cols]: cols past one block (256) too.
  const int64_t rows = dim(rng);
  const int64_t cols = seed % 2 ? 300 : dim(rng);
  add("LayerNormalization", 17, {float_attr("epsilon", 1e-5f)},
      {random_tensor({rows, cols}, seed, -3.0f, 3.0f), random_tensor({cols}, seed + 1),
       random_tensor({cols}, seed + 2)});
  add("LayerNormalization", 17, {int_attr("axis", 1)},
      {random_tensor({2, rows, 3}, seed), random_tensor({rows, 3}, seed + 1)});
  add("RMSNormalization", 23, {float_attr("epsilon", 1e-6f)},
      {random_tensor({2, rows, cols}, seed), random_tensor({cols}, seed + 1)});
  add("Softmax", 13, {}, {random_tensor({rows, cols}, seed, -20.0f, 20.0f)});
  add("Softmax", 13, {int_attr("axis", 1)}, {random_tensor({2, rows, 3}, seed, -5.0f, 5.0f)});
  add("LogSoftmax", 13, {}, {random_tensor({rows, cols}, seed, -5.0f, 5.0f)});
  // Data movement.
  const Shape t4 = {2, 3, 5, static_cast<int64_t>(1 + seed % 4)};
  add("Transpose", 17, {ints_attr("perm", {0, 2, 1, 3})}, {random_tensor(t4, seed)});
  add("Transpose", 17, {}, {random_tensor(t4, seed)});
  add("Reshape", 17, {}, {random_tensor(t4, seed), int64s({3}, {0, -1, t4[3]})});
  add("Unsqueeze", 17, {}, {random_tensor(t4, seed), int64s({2}, {0, -1})});
  add("Squeeze", 17, {}, {random_tensor({1, 3, 1}, seed), int64s({1}, {2})});
  add("Flatten", 17, {int_attr("axis", 2)}, {random_tensor(t4, seed)});
  add("Expand", 17, {}, {random_tensor({3, 1}, seed), int64s({3}, {2, 3, 4})});
  add("Slice", 17, {},
      {random_tensor(t4, seed), int64s({2}, {1, 0}), int64s({2}, {-1, 100}), int64s({2}, {2, 3}),
       int64s({2}, {1, 2})});
  add("Slice", 17, {},
      {random_tensor({7}, seed), int64s({1}, {-1}), int64s({1}, {INT64_MIN}), int64s({1}, {0}),
       int64s({1}, {-2})});
  add("Concat", 17, {int_attr("axis", 1)},
      {random_tensor({2, 3, 4}, seed), random_tensor({2, 1, 4}, seed + 1),
       random_tensor({2, 0, 4}, seed + 2)});
  add("Concat", 17, {int_attr("axis", 0)}, {int64s({1}, {5}), int64s({2}, {6, 7})});
  add("Gather", 17, {},
      {random_tensor({11, 8}, seed), int64s({2, 3}, {0, 10, -1, 3, 3, 5})});
  add("Gather", 17, {int_attr("axis", 1)},
      {random_tensor({2, 9, 4}, seed), int64s({1}, {static_cast<int64_t>(seed % 9)})});
  return out;
}

class CudaKernelParity : public ::testing::TestWithParam<uint32_t> {};

TEST_P(CudaKernelParity, EveryKernelMatchesReference) {
  BOG_REQUIRE_CUDA(cuda);
  const ReferenceProvider reference;
  const uint32_t seed = GetParam();
  for (Case& c : cases_for_seed(seed)) {
    SCOPED_TRACE(::testing::Message() << "seed=" << seed << " " << c.label);
    const Node node = make_node(c.op, c.inputs.size(), 1, c.opset, c.attrs);
    std::vector<const Tensor*> in;
    for (const Tensor& t : c.inputs) in.push_back(&t);
    ASSERT_TRUE(cuda->claims(node)) << cuda->claims(node).reason;
    const std::vector<Tensor> want = run_on_host(reference, node, in);
    const std::vector<Tensor> got = run_on_device(*cuda, node, in);
    ASSERT_EQ(got.size(), want.size());
    const CudaTolerance tol = cuda_tolerance_for(c.op);
    if (want[0].dtype() == DType::kFloat32) {
      expect_close(got[0], want[0], tol.rtol, tol.atol);
    } else {
      ASSERT_EQ(got[0].shape(), want[0].shape());
      ASSERT_EQ(got[0].nbytes(), want[0].nbytes());
      EXPECT_EQ(std::memcmp(got[0].raw(), want[0].raw(), got[0].nbytes()), 0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, CudaKernelParity, ::testing::Values(1u, 2u, 3u, 4u, 5u, 6u, 7u));

TEST(CudaKernels, LayerNormalizationStatisticsMatchReference) {
  BOG_REQUIRE_CUDA(cuda);
  const ReferenceProvider reference;
  const Node node = make_node("LayerNormalization", 3, 3, 17, {int_attr("axis", -1)});
  const Tensor x = random_tensor({4, 5, 33}, 9, -2.0f, 2.0f);
  const Tensor s = random_tensor({33}, 10);
  const Tensor b = random_tensor({33}, 11);
  const auto want = run_on_host(reference, node, {&x, &s, &b});
  const auto got = run_on_device(*cuda, node, {&x, &s, &b});
  for (size_t i = 0; i < 3; ++i) expect_close(got[i], want[i], 1e-4f, 1e-4f);
}

// The reference provider has no RotaryEmbedding; the composition it stands for is written out.
TEST(CudaKernels, RotaryEmbeddingMatchesTheRotationItDefines) {
  BOG_REQUIRE_CUDA(cuda);
  for (const int interleaved : {0, 1}) {
    SCOPED_TRACE(::testing::Message() << "interleaved=" << interleaved);
    const int64_t b = 2, h = 3, s = 5, d = 8, half = 4, max_pos = 9;
    const Tensor x = random_tensor({b, h, s, d}, 21);
    const Tensor cos = random_tensor({max_pos, half}, 22);
    const Tensor sin = random_tensor({max_pos, half}, 23);
    std::vector<int64_t> pos_v;
    for (int64_t i = 0; i < b * s; ++i) pos_v.push_back((i * 7) % max_pos);
    const Tensor pos = Tensor::from_vector<int64_t>({b, s}, pos_v);
    const Node node =
        make_node("RotaryEmbedding", 4, 1, 23, {int_attr("interleaved", interleaved)});
    const auto got = run_on_device(*cuda, node, {&x, &cos, &sin, &pos});
    Tensor want(DType::kFloat32, x.shape());
    for (int64_t bi = 0; bi < b; ++bi)
      for (int64_t hi = 0; hi < h; ++hi)
        for (int64_t si = 0; si < s; ++si) {
          const float* xr = x.data<float>() + ((bi * h + hi) * s + si) * d;
          float* yr = want.data<float>() + ((bi * h + hi) * s + si) * d;
          const int64_t p = pos_v[static_cast<size_t>(bi * s + si)];
          for (int64_t f = 0; f < half; ++f) {
            const float c = cos.data<float>()[p * half + f];
            const float sn = sin.data<float>()[p * half + f];
            const int64_t i1 = interleaved ? 2 * f : f;
            const int64_t i2 = interleaved ? 2 * f + 1 : f + half;
            yr[i1] = xr[i1] * c - xr[i2] * sn;
            yr[i2] = xr[i2] * c + xr[i1] * sn;
          }
        }
    expect_close(got[0], want, 1e-5f, 1e-6f);
  }
}

TEST(CudaKernels, GatherRejectsAnOutOfRangeIndexWithoutCrashing) {
  BOG_REQUIRE_CUDA(cuda);
  const Node node = make_node("Gather", 2, 1, 17);
  const Tensor data = random_tensor({4, 3}, 1);
  const Tensor idx = Tensor::from_vector<int64_t>({2}, {1, 4});
  try {
    (void)run_on_device(*cuda, node, {&data, &idx});
    FAIL() << "an out-of-range index must be an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel);
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
  }
}

TEST(CudaKernels, NonFloatArithmeticIsAnUnsupportedErrorNotACrash) {
  BOG_REQUIRE_CUDA(cuda);
  const Node node = make_node("Add", 2, 1, 17);
  const Tensor a = Tensor::from_vector<int64_t>({2}, {1, 2});
  try {
    (void)run_on_device(*cuda, node, {&a, &a});
    FAIL() << "int64 Add is not implemented on cuda";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kUnsupported);
  }
}

}  // namespace
}  // namespace bog::runtime::testing
