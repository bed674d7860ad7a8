// The cuda kernels of the fused node types (domain bog.cpu) the shared graph passes produce,
// against the cpu provider's kernels of the same nodes on randomized shapes (batch 1, odd
// sizes, empty dims, grouped KV heads, causal and padding masks). Needs a CUDA device: without
// one each test is skipped and says why.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/cpu_provider.h"
#include "tests/cuda/cuda_test_util.h"

namespace bog::runtime::testing {
namespace {

Node fused(const std::string& op, size_t inputs, std::vector<Attribute> attrs = {}) {
  Node n = make_node(op, inputs, 1, 1, std::move(attrs));
  n.domain = kCpuFusedDomain;
  return n;
}

Tensor int64s(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from_vector<int64_t>({n}, std::move(v));
}

// Runs `node` on cuda and on cpu and compares the first outputs.
void expect_same(const ExecutionProvider& cuda, const Node& node,
                 const std::vector<const Tensor*>& in, float rtol, float atol) {
  ASSERT_TRUE(cuda.claims(node)) << cuda.claims(node).reason;
  const CpuProvider cpu(1);
  const std::vector<Tensor> want = run_on_host(cpu, node, in);
  const std::vector<Tensor> got = run_on_device(cuda, node, in);
  ASSERT_EQ(got.size(), want.size());
  ASSERT_EQ(got[0].shape(), want[0].shape());
  expect_close(got[0], want[0], rtol, atol);
}

// A [Tq, Tk] causal mask (keys after the query hidden by `hide`), as exporters write it.
Tensor causal(int64_t tq, int64_t tk, float hide) {
  Tensor m(DType::kFloat32, {tq, tk});
  for (int64_t i = 0; i < tq; ++i) {
    for (int64_t j = 0; j < tk; ++j) m.data<float>()[i * tk + j] = j > i + (tk - tq) ? hide : 0.0f;
  }
  return m;
}

// A [B, 1, 1, Tk] padding mask: row b hides its last b keys (never all of them).
Tensor padding(int64_t b, int64_t tk) {
  Tensor m(DType::kFloat32, {b, 1, 1, tk});
  for (int64_t i = 0; i < b; ++i) {
    for (int64_t j = 0; j < tk; ++j) {
      m.data<float>()[i * tk + j] = j >= tk - std::min(i, tk - 1) ? -1e9f : 0.0f;
    }
  }
  return m;
}

class CudaFusedKernels : public ::testing::TestWithParam<uint32_t> {};

TEST_P(CudaFusedKernels, FusedMatMulMatchesCpu) {
  BOG_REQUIRE_CUDA(cuda);
  const uint32_t seed = GetParam();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> dim(1, 37);
  const int64_t b = seed % 3 == 0 ? 1 : dim(rng) % 4 + 1;
  const int64_t t = seed % 4 == 0 ? 0 : dim(rng);  // an empty sequence once
  const int64_t k = dim(rng) | 1;
  const int64_t n = dim(rng);
  for (const char* act : {"", "relu", "gelu_erf", "gelu_tanh", "silu"}) {
    for (const int trans_w : {0, 1}) {
      SCOPED_TRACE(::testing::Message()
                   << "seed=" << seed << " act='" << act << "' trans_w=" << trans_w << " A=[" << b
                   << "," << t << "," << k << "] N=" << n);
      std::vector<Attribute> attrs;
      if (*act != '\0') attrs.push_back(string_attr("activation", act));
      if (trans_w) attrs.push_back(int_attr("trans_w", 1));
      const Tensor a = random_tensor({b, t, k}, seed, -2.0f, 2.0f);
      const Tensor w = random_tensor(trans_w ? Shape{n, k} : Shape{k, n}, seed + 1);
      const Tensor bias = random_tensor({n}, seed + 2);
      const Tensor residual = random_tensor({b, t, n}, seed + 3);
      const Tensor row_residual = random_tensor({n}, seed + 4);  // broadcast Add
      const Tensor multiplier = random_tensor({b, t, n}, seed + 5);
      expect_same(*cuda, fused("FusedMatMul", 2, attrs), {&a, &w}, 1e-4f, 1e-4f);
      expect_same(*cuda, fused("FusedMatMul", 3, attrs), {&a, &w, &bias}, 1e-4f, 1e-4f);
      expect_same(*cuda, fused("FusedMatMul", 5, attrs), {&a, &w, &bias, &residual, &multiplier},
                  1e-4f, 1e-4f);
      expect_same(*cuda, fused("FusedMatMul", 4, attrs), {&a, &w, nullptr, &row_residual}, 1e-4f,
                  1e-4f);
    }
  }
  const Tensor a1 = random_tensor({k}, seed);  // rank-1 A
  const Tensor w1 = random_tensor({k, n}, seed + 1);
  expect_same(*cuda, fused("FusedMatMul", 2), {&a1, &w1}, 1e-4f, 1e-4f);
}

TEST_P(CudaFusedKernels, AttentionMatchesCpu) {
  BOG_REQUIRE_CUDA(cuda);
  const uint32_t seed = GetParam();
  std::mt19937 rng(seed);
  const int64_t batch = seed % 2 ? 1 : 3;
  const int64_t kv_heads = 1 + seed % 2;
  const int64_t group = 1 + seed % 3;
  const int64_t heads = kv_heads * group;
  const int64_t tq = std::uniform_int_distribution<int64_t>(1, 40)(rng);
  const int64_t tk = seed % 3 == 0 ? tq : tq + 3;  // a longer key sequence (cached keys)
  const int64_t d = seed % 2 ? 5 : 16;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  const Tensor q = random_tensor({batch, heads, tq, d}, seed, -2.0f, 2.0f);
  const Tensor k = random_tensor({batch, heads, tk, d}, seed + 1, -2.0f, 2.0f);
  const Tensor kt = random_tensor({batch, heads, d, tk}, seed + 2, -2.0f, 2.0f);
  const Tensor v = random_tensor({batch, heads, tk, d}, seed + 3);
  const Tensor kv_k = random_tensor({batch, kv_heads, tk, d}, seed + 4, -2.0f, 2.0f);
  const Tensor kv_v = random_tensor({batch, kv_heads, tk, d}, seed + 5);
  const Tensor mask = causal(tq, tk, -1e9f);
  const Tensor inf_mask = causal(tq, tk, -std::numeric_limits<float>::infinity());
  const Tensor pad = padding(batch, tk);
  const Tensor merge = int64s({0, 0, -1});
  const Tensor expand = int64s({1, 1, group, 1, 1});
  const Tensor rep = int64s({0, heads, -1, d});
  for (const int merged : {0, 1}) {
    SCOPED_TRACE(::testing::Message()
                 << "seed=" << seed << " B=" << batch << " H=" << heads << " Hkv=" << kv_heads
                 << " Tq=" << tq << " Tk=" << tk << " D=" << d << " merged=" << merged);
    const std::vector<Attribute> attrs = {float_attr("scale", scale), int_attr("merged", merged)};
    std::vector<Attribute> transposed = attrs;
    transposed.push_back(int_attr("k_transposed", 1));
    expect_same(*cuda, fused("Attention", 3, attrs), {&q, &k, &v}, 1e-4f, 1e-5f);
    expect_same(*cuda, fused("Attention", 4, attrs), {&q, &k, &v, &mask}, 1e-4f, 1e-5f);
    expect_same(*cuda, fused("Attention", 4, attrs), {&q, &k, &v, &inf_mask}, 1e-4f, 1e-5f);
    expect_same(*cuda, fused("Attention", 4, attrs), {&q, &k, &v, &pad}, 1e-4f, 1e-5f);
    expect_same(*cuda, fused("Attention", 4, transposed), {&q, &kt, &v, &mask}, 1e-4f, 1e-5f);
    // Grouped KV heads, read in place, with the merged output reshaped by out_shape.
    expect_same(*cuda, fused("Attention", 9, attrs),
                {&q, &kv_k, &kv_v, &mask, merged ? &merge : nullptr, &expand, &rep, &expand, &rep},
                1e-4f, 1e-5f);
  }
  // An expand that does not repeat each head in place is an error on both.
  const Tensor wrong = int64s({1, 1, group + 1, 1, 1});
  const Node node = fused("Attention", 9, {float_attr("scale", scale)});
  EXPECT_THROW((void)run_on_device(
                   *cuda, node, {&q, &kv_k, &kv_v, nullptr, nullptr, &wrong, &rep, &expand, &rep}),
               Error);
}

TEST_P(CudaFusedKernels, RopeRmsNormAndActivationsMatchCpu) {
  BOG_REQUIRE_CUDA(cuda);
  const uint32_t seed = GetParam();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> dim(1, 19);
  const int64_t b = seed % 2 ? 1 : 2, h = dim(rng) % 4 + 1, t = dim(rng), d = 2 * dim(rng);
  SCOPED_TRACE(::testing::Message()
               << "seed=" << seed << " x=[" << b << "," << h << "," << t << "," << d << "]");
  const Tensor x = random_tensor({b, h, t, d}, seed, -2.0f, 2.0f);
  const Tensor x3 = random_tensor({b, t, d}, seed + 1, -2.0f, 2.0f);
  const Tensor cos = random_tensor({t, d}, seed + 2);
  const Tensor sin = random_tensor({t, d}, seed + 3);
  const Tensor cos4 = random_tensor({b, 1, t, d}, seed + 4);
  const Tensor sin4 = random_tensor({1, 1, t, d}, seed + 5);
  const Tensor zero = int64s({0});
  const Tensor half = int64s({d / 2});
  const Tensor end = int64s({std::numeric_limits<int64_t>::max()});
  const Node rope = fused("Rope", 7, {int_attr("axis", -1)});
  expect_same(*cuda, rope, {&x, &cos, &sin, &zero, &half, &half, &end}, 1e-5f, 1e-5f);
  expect_same(*cuda, rope, {&x, &cos4, &sin4, &zero, &half, &half, &end}, 1e-5f, 1e-5f);
  expect_same(*cuda, rope, {&x3, &cos, &sin, &zero, &half, &half, &end}, 1e-5f, 1e-5f);
  const Node not_halves = fused("Rope", 7, {int_attr("axis", -1)});
  const Tensor one = int64s({1});
  EXPECT_THROW((void)run_on_device(*cuda, not_halves, {&x, &cos, &sin, &one, &half, &half, &end}),
               Error);

  const int64_t cols = seed % 2 ? 300 : dim(rng);  // past one block of threads, and odd
  const Tensor rows = random_tensor({b, dim(rng), cols}, seed + 6, -3.0f, 3.0f);
  const Tensor scale = random_tensor({cols}, seed + 7);
  const Tensor one_scale = random_tensor({1}, seed + 8);
  const Node rms = fused("RmsNorm", 2, {float_attr("epsilon", 1e-5f)});
  expect_same(*cuda, rms, {&rows, &scale}, 1e-4f, 1e-5f);
  expect_same(*cuda, rms, {&rows, &one_scale}, 1e-4f, 1e-5f);
  expect_same(*cuda, fused("RmsNorm", 1), {&rows}, 1e-4f, 1e-5f);

  const Tensor empty = random_tensor({b, 0, 3}, seed);
  for (const Tensor* in : {&x, &x3, &empty}) {
    expect_same(*cuda, fused("Gelu", 1), {in}, 1e-5f, 1e-5f);
    expect_same(*cuda, fused("Gelu", 1, {string_attr("approximate", "tanh")}), {in}, 1e-5f, 1e-5f);
    expect_same(*cuda, fused("Silu", 1), {in}, 1e-5f, 1e-5f);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, CudaFusedKernels, ::testing::Values(1u, 2u, 3u, 4u, 5u, 6u));

}  // namespace
}  // namespace bog::runtime::testing
