// The fused Attention kernel's 3-D form (nn.MultiheadAttention's [batch*heads, T, D]) against
// the reference provider's composition MatMul(q, kᵀ) -> Mul(scale) -> Add(bias) -> Softmax ->
// MatMul(·, v), on random shapes: batch*heads 1 and odd, one query row (the direct path) and
// long ones, odd head sizes, Tq != Tk, empty dims, and the bias forms torch writes.
#include <gtest/gtest.h>

#include <limits>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/cpu_provider.h"
#include "onnx_runtime/providers/reference/reference_provider.h"
#include "tests/runtime/kernel_test_util.h"

namespace bog::runtime {
namespace {

using testing::make_node;
using testing::random_tensor;
using testing::run_node;

std::vector<Tensor> ts(Tensor a, Tensor b = Tensor(), Tensor c = Tensor(), Tensor d = Tensor()) {
  std::vector<Tensor> v;
  v.push_back(std::move(a));
  for (Tensor* t : {&b, &c, &d}) {
    if (t->numel() > 0 || t->rank() > 0) v.push_back(std::move(*t));
  }
  return v;
}

Tensor run1(const ExecutionProvider& p, const Node& n, std::vector<Tensor> in) {
  std::vector<Value> out = run_node(p, n, std::move(in));
  return std::move(out[0].tensor);
}

Tensor reference_attention(const Tensor& q, const Tensor& kt, const Tensor& v, const Tensor* bias,
                           float scale) {
  const ReferenceProvider ref;
  Tensor s = run1(ref, make_node("MatMul", 2, 1, 17), ts(q.clone(), kt.clone()));
  s = run1(ref, make_node("Mul", 2, 1, 17),
           ts(std::move(s), Tensor::from_vector<float>({}, {scale})));
  if (bias != nullptr) s = run1(ref, make_node("Add", 2, 1, 17), ts(std::move(s), bias->clone()));
  s = run1(ref, make_node("Softmax", 1, 1, 17, {testing::int_attr("axis", -1)}), ts(std::move(s)));
  return run1(ref, make_node("MatMul", 2, 1, 17), ts(std::move(s), v.clone()));
}

TEST(Attention3d, MatchesTheReferenceCompositionOnRandomShapes) {
  uint32_t seed = 300;
  const CpuProvider cpu(2);
  for (const int64_t n : {1, 3, 8}) {
    for (const int64_t tq : {0, 1, 3, 17, 33}) {
      for (const int64_t tk : {1, 5, 16, 40}) {
        for (const int64_t d : {1, 7, 16}) {
          const int64_t dv = d + 2;
          const Tensor q = random_tensor({n, tq, d}, seed++);
          const Tensor kt = random_tensor({n, d, tk}, seed++);
          const Tensor v = random_tensor({n, tk, dv}, seed++);
          Tensor pad(DType::kFloat32, {n, 1, tk});  // key padding: the last key hidden (tk > 1)
          for (int64_t i = 0; i < n; ++i) {
            if (tk > 1)
              pad.data<float>()[i * tk + tk - 1] = -std::numeric_limits<float>::infinity();
          }
          const Tensor full = random_tensor({n, tq, tk}, seed++, -2.0f, 2.0f);
          const Tensor shared = random_tensor({tq, tk}, seed++, -2.0f, 2.0f);
          for (const Tensor* bias : std::vector<const Tensor*>{nullptr, &pad, &full, &shared}) {
            SCOPED_TRACE(::testing::Message()
                         << "n " << n << " tq " << tq << " tk " << tk << " d " << d << " bias "
                         << (bias ? shape_to_string(bias->shape()) : "-"));
            Node node =
                make_node("Attention", bias ? 4 : 3, 1, 1,
                          {testing::float_attr("scale", 0.35f),
                           testing::int_attr("k_transposed", 1), testing::int_attr("merged", 0)});
            node.domain = kCpuFusedDomain;
            std::vector<Tensor> in = ts(q.clone(), kt.clone(), v.clone());
            if (bias) in.push_back(bias->clone());
            const Tensor got = run1(cpu, node, std::move(in));
            const Tensor want = reference_attention(q, kt, v, bias, 0.35f);
            ASSERT_EQ(got.shape(), want.shape());
            testing::expect_close(got, want, 1e-5f, 1e-5f);
          }
        }
      }
    }
  }
}

TEST(Attention3d, RefusesMixedRanksAndABiasOfHigherRank) {
  const CpuProvider cpu(1);
  Node node = make_node("Attention", 4, 1, 1, {testing::int_attr("k_transposed", 1)});
  node.domain = kCpuFusedDomain;
  EXPECT_THROW(run1(cpu, node,
                    ts(random_tensor({2, 3, 4}, 1), random_tensor({1, 2, 4, 3}, 2),
                       random_tensor({2, 3, 4}, 3), random_tensor({2, 3, 3}, 4))),
               Error);
  EXPECT_THROW(run1(cpu, node,
                    ts(random_tensor({2, 3, 4}, 1), random_tensor({2, 4, 3}, 2),
                       random_tensor({2, 3, 4}, 3), random_tensor({1, 2, 3, 3}, 4))),
               Error);
}

}  // namespace
}  // namespace bog::runtime
