// Attention reference kernel against an explicit softmax(Q K^T * scale + mask) V written here
// with its own loops (GQA by repeating KV heads, the cache by concatenating first).
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

// Tensors are move-only, so an initializer list cannot hold them; this builds the vector.
template <class... T>
std::vector<Tensor> tensors(T&&... t) {
  std::vector<Tensor> v;
  (v.push_back(std::forward<T>(t)), ...);
  return v;
}

struct AttnCase {
  int64_t batch, q_heads, kv_heads, q_seq, kv_seq, past, head, v_head;
  bool causal, mask;
};

// Plain-loop expectation for 4-D inputs. `mask` (float, [q_seq, past+kv_seq]) may be empty.
Tensor expected_attention(const AttnCase& c, const Tensor& q, const Tensor& k, const Tensor& v,
                          const Tensor* past_k, const Tensor* past_v, const Tensor* mask,
                          float scale) {
  const int64_t total = c.past + c.kv_seq;
  // Present K/V: [B, Hkv, total, D], then repeated to [B, Hq, total, D].
  auto present = [&](const Tensor& cur, const Tensor* past, int64_t d) {
    std::vector<float> out(static_cast<size_t>(c.batch * c.kv_heads * total * d));
    for (int64_t b = 0; b < c.batch; ++b)
      for (int64_t h = 0; h < c.kv_heads; ++h)
        for (int64_t s = 0; s < total; ++s)
          for (int64_t x = 0; x < d; ++x) {
            const float val =
                s < c.past
                    ? past->data<float>()[((b * c.kv_heads + h) * c.past + s) * d + x]
                    : cur.data<float>()[((b * c.kv_heads + h) * c.kv_seq + (s - c.past)) * d + x];
            out[static_cast<size_t>(((b * c.kv_heads + h) * total + s) * d + x)] = val;
          }
    return out;
  };
  const std::vector<float> kk = present(k, past_k, c.head);
  const std::vector<float> vv = present(v, past_v, c.v_head);
  const int64_t rep = c.q_heads / c.kv_heads;
  Tensor y(DType::kFloat32, {c.batch, c.q_heads, c.q_seq, c.v_head});
  for (int64_t b = 0; b < c.batch; ++b) {
    for (int64_t h = 0; h < c.q_heads; ++h) {
      const int64_t g = h / rep;
      for (int64_t i = 0; i < c.q_seq; ++i) {
        std::vector<double> w(static_cast<size_t>(total));
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < total; ++j) {
          double s = 0;
          for (int64_t x = 0; x < c.head; ++x) {
            s += double(q.data<float>()[((b * c.q_heads + h) * c.q_seq + i) * c.head + x]) *
                 kk[static_cast<size_t>(((b * c.kv_heads + g) * total + j) * c.head + x)];
          }
          s *= scale;
          if (mask != nullptr) s += mask->data<float>()[i * total + j];
          if (c.causal && j > i + c.past) s = -std::numeric_limits<double>::infinity();
          w[static_cast<size_t>(j)] = s;
          mx = std::max(mx, s);
        }
        double sum = 0;
        for (double& e : w) sum += (e = std::exp(e - mx));
        for (int64_t x = 0; x < c.v_head; ++x) {
          double acc = 0;
          for (int64_t j = 0; j < total; ++j) {
            acc += w[static_cast<size_t>(j)] / sum *
                   vv[static_cast<size_t>(((b * c.kv_heads + g) * total + j) * c.v_head + x)];
          }
          y.data<float>()[((b * c.q_heads + h) * c.q_seq + i) * c.v_head + x] =
              static_cast<float>(acc);
        }
      }
    }
  }
  return y;
}

TEST(AttentionKernel, MatchesExplicitSoftmaxOnRandomShapes) {
  ReferenceProvider ref;
  const AttnCase cases[] = {
      {1, 1, 1, 1, 1, 0, 1, 1, false, false}, {2, 4, 2, 3, 5, 0, 7, 3, false, true},
      {1, 6, 3, 5, 5, 0, 4, 4, true, false},  {3, 2, 2, 1, 4, 3, 5, 6, true, true},
      {2, 8, 1, 4, 2, 5, 3, 3, false, false}, {1, 3, 3, 7, 7, 2, 9, 5, true, true},
  };
  uint32_t seed = 100;
  for (const AttnCase& c : cases) {
    ++seed;
    SCOPED_TRACE(::testing::Message()
                 << "seed " << seed << " B" << c.batch << " Hq" << c.q_heads << " Hkv" << c.kv_heads
                 << " Sq" << c.q_seq << " Skv" << c.kv_seq << " P" << c.past);
    const int64_t total = c.past + c.kv_seq;
    Tensor q = random_tensor({c.batch, c.q_heads, c.q_seq, c.head}, seed);
    Tensor k = random_tensor({c.batch, c.kv_heads, c.kv_seq, c.head}, seed + 1000);
    Tensor v = random_tensor({c.batch, c.kv_heads, c.kv_seq, c.v_head}, seed + 2000);
    Tensor pk = random_tensor({c.batch, c.kv_heads, c.past, c.head}, seed + 3000);
    Tensor pv = random_tensor({c.batch, c.kv_heads, c.past, c.v_head}, seed + 4000);
    Tensor mask = random_tensor({c.q_seq, total}, seed + 5000, -2.0f, 2.0f);
    const float scale = seed % 2 ? 0.37f : 1.0f / std::sqrt(static_cast<float>(c.head));
    Tensor want = expected_attention(c, q, k, v, c.past ? &pk : nullptr, c.past ? &pv : nullptr,
                                     c.mask ? &mask : nullptr, scale);

    std::vector<Attribute> attrs = {int_attr("is_causal", c.causal ? 1 : 0)};
    if (seed % 2) attrs.push_back(float_attr("scale", scale));
    Node node = make_node("Attention", 6, 3, 23, attrs);
    if (!c.mask) node.inputs[3] = "";
    if (!c.past) node.inputs[4] = node.inputs[5] = "";
    std::vector<Tensor> in;
    in.push_back(q.clone());
    in.push_back(k.clone());
    in.push_back(v.clone());
    in.push_back(mask.clone());
    in.push_back(pk.clone());
    in.push_back(pv.clone());
    std::vector<Value> values;
    for (Tensor& t : in) values.push_back(Value::from_tensor(std::move(t)));
    std::vector<const Value*> ptrs;
    for (size_t i = 0; i < values.size(); ++i) {
      ptrs.push_back(node.inputs[i].empty() ? nullptr : &values[i]);
    }
    std::vector<Value> out = run_node(ref, node, ptrs);
    expect_close(out[0].tensor, want, 1e-4f, 1e-5f);
    ASSERT_EQ(out[1].tensor.shape(), (Shape{c.batch, c.kv_heads, total, c.head}));
    // present_key ends with the new keys.
    EXPECT_EQ(out[1].tensor.data<float>()[out[1].tensor.numel() - 1],
              k.data<float>()[k.numel() - 1]);
    if (c.past) {
      EXPECT_EQ(out[2].tensor.data<float>()[0], pv.data<float>()[0]);
    }
  }
}

TEST(AttentionKernel, ThreeDimensionalInputsSplitHeads) {
  ReferenceProvider ref;
  const uint32_t seed = 7;
  SCOPED_TRACE(::testing::Message() << "seed " << seed);
  const int64_t b = 2, sq = 3, skv = 4, hq = 4, hkv = 2, d = 5;
  Tensor q4 = random_tensor({b, hq, sq, d}, seed);
  Tensor k4 = random_tensor({b, hkv, skv, d}, seed + 1);
  Tensor v4 = random_tensor({b, hkv, skv, d}, seed + 2);
  // [B, H, S, D] -> [B, S, H*D]
  auto to3d = [](const Tensor& t) {
    const int64_t B = t.dim(0), H = t.dim(1), S = t.dim(2), D = t.dim(3);
    Tensor o(DType::kFloat32, {B, S, H * D});
    for (int64_t x = 0; x < B; ++x)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t s = 0; s < S; ++s)
          for (int64_t e = 0; e < D; ++e)
            o.data<float>()[((x * S + s) * H + h) * D + e] =
                t.data<float>()[((x * H + h) * S + s) * D + e];
    return o;
  };
  std::vector<Value> out4 =
      run_node(ref, make_node("Attention", 3, 1, 23), tensors(q4.clone(), k4.clone(), v4.clone()));
  std::vector<Value> out3 =
      run_node(ref,
               make_node("Attention", 3, 1, 23,
                         {int_attr("q_num_heads", hq), int_attr("kv_num_heads", hkv)}),
               tensors(to3d(q4), to3d(k4), to3d(v4)));
  expect_close(out3[0].tensor, to3d(out4[0].tensor), 1e-6f, 1e-7f);
}

TEST(AttentionKernel, FullyMaskedRowGivesZerosNotNaN) {
  ReferenceProvider ref;
  Tensor q = random_tensor({1, 1, 2, 3}, 1);
  Tensor k = random_tensor({1, 1, 2, 3}, 2);
  Tensor v = random_tensor({1, 1, 2, 3}, 3);
  Tensor mask(DType::kBool, {2, 2});
  mask.data<bool>()[2] = true;  // row 0 all false, row 1 sees key 0 only
  std::vector<Value> out = run_node(ref, make_node("Attention", 4, 1, 23),
                                    tensors(q.clone(), k.clone(), v.clone(), std::move(mask)));
  const float* y = out[0].tensor.data<float>();
  for (int d = 0; d < 3; ++d) {
    EXPECT_EQ(y[d], 0.0f);
    EXPECT_FLOAT_EQ(y[3 + d], v.data<float>()[d]);
  }
}

TEST(AttentionKernel, QkOutputModesExposeEachStage) {
  ReferenceProvider ref;
  Tensor q = random_tensor({1, 1, 1, 2}, 11, 2.0f, 3.0f);
  Tensor k = random_tensor({1, 1, 2, 2}, 12, 2.0f, 3.0f);
  Tensor v = random_tensor({1, 1, 2, 2}, 13);
  Tensor mask = Tensor::from_vector<float>({1, 2}, {0.5f, -0.25f});
  double raw[2];
  for (int j = 0; j < 2; ++j) {
    raw[j] = (q.data<float>()[0] * k.data<float>()[2 * j] +
              q.data<float>()[1] * k.data<float>()[2 * j + 1]) /
             std::sqrt(2.0);
  }
  for (int mode = 0; mode < 4; ++mode) {
    SCOPED_TRACE(::testing::Message() << "mode " << mode);
    std::vector<Value> out =
        run_node(ref,
                 make_node("Attention", 4, 4, 23,
                           {int_attr("qk_matmul_output_mode", mode), float_attr("softcap", 1.5f)}),
                 tensors(q.clone(), k.clone(), v.clone(), mask.clone()));
    double stage[2];
    for (int j = 0; j < 2; ++j) {
      const double capped = 1.5 * std::tanh(raw[j] / 1.5);
      const double biased = capped + mask.data<float>()[j];
      stage[j] = mode == 0 ? raw[j] : mode == 1 ? capped : biased;
    }
    if (mode == 3) {
      const double e0 = std::exp(stage[0] - stage[1]);
      stage[0] = e0 / (1 + e0);
      stage[1] = 1 / (1 + e0);
    }
    for (int j = 0; j < 2; ++j) EXPECT_NEAR(out[3].tensor.data<float>()[j], stage[j], 1e-5);
  }
}

TEST(AttentionKernel, RejectsHeadCountsThatDoNotGroup) {
  ReferenceProvider ref;
  Tensor q = random_tensor({1, 3, 2, 4}, 1);
  Tensor k = random_tensor({1, 2, 2, 4}, 2);
  Tensor v = random_tensor({1, 2, 2, 4}, 3);
  try {
    run_node(ref, make_node("Attention", 3, 1, 23),
             tensors(std::move(q), std::move(k), std::move(v)));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel);
  }
}

// Found by the fuzz target (fuzz/regressions/attention_past_value_shorter.onnx): a past_value
// with fewer positions than past_key made present_value read past its buffer.
TEST(AttentionKernel, RejectsPastKeyAndValueOfDifferentLengths) {
  ReferenceProvider ref;
  std::vector<Tensor> in;
  in.push_back(random_tensor({1, 1, 2, 4}, 1));  // q
  in.push_back(random_tensor({1, 1, 2, 4}, 2));  // k
  in.push_back(random_tensor({1, 1, 2, 4}, 3));  // v
  in.push_back(random_tensor({2, 4}, 4));        // mask [Sq, total]; unused by the check
  in.push_back(random_tensor({1, 1, 3, 4}, 5));  // past_key: 3 positions
  in.push_back(random_tensor({1, 1, 1, 4}, 6));  // past_value: 1
  Node node = make_node("Attention", 6, 3, 23);
  node.inputs[3] = "";
  try {
    (void)run_node(ref, node, std::move(in));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel) << e.what();
    EXPECT_NE(std::string(e.what()).find("past_value"), std::string::npos) << e.what();
  }
}

// Found by the fuzz target (fuzz/regressions/softmax_scalar_input.onnx): a scalar input wrote
// through an empty vector<bool>. Softmax, LogSoftmax and Hardmax need rank >= 1.
TEST(SoftmaxKernel, RejectsAScalarInputWithAnError) {
  ReferenceProvider ref;
  for (const char* op : {"Softmax", "LogSoftmax", "Hardmax"}) {
    for (const int opset : {11, 13}) {
      SCOPED_TRACE(::testing::Message() << op << " opset " << opset);
      std::vector<Tensor> in;
      in.push_back(Tensor::from_vector<float>({}, {0.5f}));
      try {
        (void)run_node(ref, make_node(op, 1, 1, opset, {int_attr("axis", 0)}), std::move(in));
        FAIL() << "expected an error";
      } catch (const Error& e) {
        EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel) << e.what();
      }
    }
  }
}

// Found by the fuzz target (fuzz/regressions/reduce_scalar_with_axis.onnx): ops that keep a
// per-axis array wrote through an empty one when given an axis for a scalar input.
TEST(ReductionKernels, RejectAnAxisForAScalarInputWithAnError) {
  ReferenceProvider ref;
  const std::vector<std::pair<const char*, Attribute>> cases = {
      {"ReduceSum", testing::ints_attr("axes", {0})},
      {"ReduceMax", testing::ints_attr("axes", {0})},
      {"ArgMax", int_attr("axis", 0)},
      {"LpNormalization", int_attr("axis", 0)},
      {"MeanVarianceNormalization", testing::ints_attr("axes", {0})}};
  for (const auto& [op, attr] : cases) {
    SCOPED_TRACE(op);
    std::vector<Tensor> in;
    in.push_back(Tensor::from_vector<float>({}, {0.5f}));
    try {
      (void)run_node(ref, make_node(op, 1, 1, 11, {attr}), std::move(in));
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel) << e.what();
    }
  }
}

// Found by the fuzz target (fuzz/regressions/conv_transpose_kernel_shape_mismatch.onnx): a
// kernel_shape attribute larger than W's spatial dims read past W.
TEST(ConvTransposeKernel, RejectsAKernelShapeThatDisagreesWithW) {
  ReferenceProvider ref;
  std::vector<Tensor> in;
  in.push_back(random_tensor({1, 1, 3, 3}, 1));
  in.push_back(random_tensor({1, 1, 2, 2}, 2));
  try {
    (void)run_node(
        ref, make_node("ConvTranspose", 2, 1, 11, {testing::ints_attr("kernel_shape", {3, 3})}),
        std::move(in));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel) << e.what();
    EXPECT_NE(std::string(e.what()).find("kernel_shape"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bog::runtime
