// The fused cpu provider against the reference provider: each optimized kernel on random
// shapes (1, odd sizes, empty dims, broadcasting), and each fusion pass against the unfused
// graph run on the reference provider.
#include "onnx_runtime/providers/cpu/cpu_provider.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/gemm/bf16_gemm.h"
#include "onnx_runtime/session.h"
#include "tests/runtime/kernel_test_util.h"

namespace bog::runtime {
namespace {

using testing::make_node;
using testing::random_tensor;
using testing::run_node;

// Runs one node on cpu and on reference with the same inputs and compares output 0.
void expect_same_as_reference(const Node& node, const std::vector<Shape>& shapes, uint32_t seed,
                              float rtol = 1e-5f, float atol = 1e-5f) {
  SCOPED_TRACE(::testing::Message() << node.op_type << " seed=" << seed);
  std::vector<Tensor> a, b;
  for (size_t i = 0; i < shapes.size(); ++i) {
    a.push_back(random_tensor(shapes[i], seed + static_cast<uint32_t>(i)));
    b.push_back(a.back().clone());
  }
  const CpuProvider cpu(2);
  const ReferenceProvider ref;
  std::vector<Value> got = run_node(cpu, node, std::move(a));
  std::vector<Value> want = run_node(ref, node, std::move(b));
  testing::expect_close(got[0].tensor, want[0].tensor, rtol, atol);
}

TEST(CpuKernels, MatMulMatchesReferenceOnRandomShapes) {
  const Node node = make_node("MatMul", 2, 1, 17);
  const std::vector<std::pair<Shape, Shape>> cases = {{{1, 1}, {1, 1}},
                                                      {{3, 5}, {5, 7}},
                                                      {{1, 13}, {13, 1}},
                                                      {{2, 3, 65, 17}, {17, 9}},
                                                      {{4, 1, 7, 3}, {5, 3, 2}},
                                                      {{130, 33}, {33, 70}},
                                                      {{7}, {7, 3}},
                                                      {{2, 4, 7}, {7}},
                                                      {{3, 0}, {0, 4}},
                                                      {{0, 5}, {5, 2}},
                                                      {{2, 0, 3, 4}, {4, 6}}};
  uint32_t seed = 1;
  for (const auto& [as, bs] : cases) expect_same_as_reference(node, {as, bs}, seed++, 1e-4f, 1e-5f);
}

TEST(CpuKernels, GemmMatchesReferenceWithTransposeAndBias) {
  const Node plain = make_node("Gemm", 3, 1, 13, {testing::int_attr("transB", 1)});
  expect_same_as_reference(plain, {{5, 11}, {7, 11}, {7}}, 3, 1e-4f, 1e-5f);
  expect_same_as_reference(plain, {{1, 1}, {1, 1}, {1}}, 4, 1e-4f, 1e-5f);
  const Node scaled = make_node("Gemm", 3, 1, 13, {testing::float_attr("alpha", 0.5f)});
  expect_same_as_reference(scaled, {{4, 3}, {3, 6}, {4, 6}}, 5, 1e-4f, 1e-5f);  // fallback form
}

TEST(CpuKernels, BinaryOpsBroadcastLikeReference) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 4}, {3, 4}},
      {{2, 3, 5}, {5}},
      {{2, 3, 5}, {}},
      {{1}, {4, 1, 3}},
      {{2, 1, 5}, {3, 1}},
      {{0, 3}, {3}},
      {{7, 1, 1}, {1, 9, 1}},
      // attention-mask forms, a middle broadcast, size-1 and empty dims
      {{3, 4, 5, 5}, {3, 1, 1, 5}},
      {{2, 4, 6, 6}, {2, 1, 6, 6}},
      {{2, 3, 4}, {2, 1, 4}},
      {{1, 1}, {1}},
      {{}, {}},
      {{5, 0, 2}, {1, 2}},
      {{1, 3, 1}, {2, 1, 1}}};
  uint32_t seed = 10;
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    const Node node = make_node(op, 2, 1, 14);
    for (const auto& [as, bs] : cases) {
      expect_same_as_reference(node, {as, bs}, seed++);
      expect_same_as_reference(node, {bs, as}, seed++);
    }
  }
}

TEST(CpuKernels, SoftmaxAndLayerNormMatchReference) {
  uint32_t seed = 40;
  for (const Shape& s : std::vector<Shape>{{1, 1}, {3, 17}, {2, 4, 33}, {0, 5}, {6}}) {
    expect_same_as_reference(make_node("Softmax", 1, 1, 13), {s}, seed++);
    expect_same_as_reference(make_node("LogSoftmax", 1, 1, 13), {s}, seed++);
    const int64_t w = s.back();
    expect_same_as_reference(make_node("LayerNormalization", 3, 1, 17), {s, {w}, {w}}, seed++,
                             1e-4f, 1e-5f);
  }
  // Opset-11 softmax coerces to 2-D: the cpu kernel must defer to the reference semantics.
  expect_same_as_reference(make_node("Softmax", 1, 1, 11, {testing::int_attr("axis", 1)}),
                           {{2, 3, 4}}, 77);
}

TEST(CpuKernels, SigmoidMatchesReferenceIncludingSaturation) {
  uint32_t seed = 90;
  for (const Shape& s : std::vector<Shape>{{1}, {3, 17}, {2, 4, 33}, {0, 5}, {}, {1000}}) {
    expect_same_as_reference(make_node("Sigmoid", 1, 1, 13), {s}, seed++, 1e-6f, 1e-6f);
  }
  // Inputs far into both tails: 0 and 1 exactly, never NaN.
  const Node node = make_node("Sigmoid", 1, 1, 13);
  std::vector<Tensor> in;
  in.push_back(Tensor::from_vector<float>({4}, {-200.0f, -30.0f, 30.0f, 200.0f}));
  std::vector<Value> got = testing::run_node(CpuProvider(1), node, std::move(in));
  const float* y = got[0].tensor.data<float>();
  EXPECT_NEAR(y[0], 0.0f, 1e-30f);
  EXPECT_NEAR(y[1], 0.0f, 1e-12f);
  EXPECT_FLOAT_EQ(y[2], 1.0f);
  EXPECT_FLOAT_EQ(y[3], 1.0f);
}

// ---- fusion passes: graphs built in the IR, run on [cpu] (fused) and [reference] (plain).

struct GraphBuilder {
  Model model;
  GraphBuilder() { model.graph.opsets[""] = 17; }
  void input(const std::string& name, Shape shape) {
    ValueInfo v;
    v.name = name;
    v.type.elem_type = DType::kFloat32;
    v.type.has_shape = true;
    for (int64_t d : shape) v.type.shape.push_back(Dim{d, ""});
    model.graph.inputs.push_back(v);
  }
  void output(const std::string& name) {
    ValueInfo v;
    v.name = name;
    v.type.elem_type = DType::kFloat32;
    model.graph.outputs.push_back(v);
  }
  void init(const std::string& name, Tensor t) { model.graph.initializers[name] = std::move(t); }
  void scalar(const std::string& name, float v) { init(name, Tensor::from_vector<float>({}, {v})); }
  void node(const std::string& op, std::vector<std::string> in, std::string out,
            std::vector<Attribute> attrs = {}) {
    Node n;
    n.op_type = op;
    n.name = out + "_node";
    n.opset = 17;
    n.inputs = std::move(in);
    n.outputs = {std::move(out)};
    n.attributes = std::move(attrs);
    model.graph.nodes.push_back(std::move(n));
  }
  Model copy() const {
    Model m;
    m.ir_version = 8;
    m.graph.opsets = model.graph.opsets;
    m.graph.inputs = model.graph.inputs;
    m.graph.outputs = model.graph.outputs;
    m.graph.nodes.reserve(model.graph.nodes.size());
    for (const Node& n : model.graph.nodes) {
      Node c;
      c.op_type = n.op_type;
      c.name = n.name;
      c.opset = n.opset;
      c.inputs = n.inputs;
      c.outputs = n.outputs;
      c.attributes = n.attributes;
      m.graph.nodes.push_back(std::move(c));
    }
    for (const auto& [k, t] : model.graph.initializers) m.graph.initializers[k] = t.clone();
    return m;
  }
};

// Runs the graph fused on cpu and plain on reference; returns the cpu session's op types.
std::vector<std::string> run_both_and_compare(const GraphBuilder& b, const Shape& x_shape,
                                              uint32_t seed) {
  SessionOptions cpu_opts;
  cpu_opts.providers = {"cpu"};
  Session fused(b.copy(), cpu_opts);
  SessionOptions ref_opts;
  ref_opts.providers = {"reference"};
  ref_opts.optimize = false;
  Session plain(b.copy(), ref_opts);
  std::map<std::string, Value> f1, f2;
  const Tensor x = random_tensor(x_shape, seed, -3.0f, 3.0f);
  f1["x"] = Value::from_tensor(x.clone());
  f2["x"] = Value::from_tensor(x.clone());
  auto got = fused.run(std::move(f1));
  auto want = plain.run(std::move(f2));
  testing::expect_close(got.at("y").tensor, want.at("y").tensor, 1e-5f, 1e-5f);
  std::vector<std::string> ops;
  for (const NodePlacement& n : fused.placement().nodes) ops.push_back(n.op_type);
  return ops;
}

TEST(CpuFusion, RmsNormSubgraphBecomesOneNode) {
  GraphBuilder b;
  b.input("x", {2, 3, 8});
  b.scalar("two", 2.0f);
  b.scalar("eps", 1e-6f);
  b.init("scale", random_tensor({8}, 5));
  b.node("Pow", {"x", "two"}, "sq");
  b.node("ReduceMean", {"sq"}, "ms", {testing::ints_attr("axes", {-1})});
  b.node("Add", {"ms", "eps"}, "mse");
  b.node("Sqrt", {"mse"}, "rms");
  b.node("Div", {"x", "rms"}, "xn");
  b.node("Mul", {"xn", "scale"}, "y");
  b.output("y");
  EXPECT_EQ(run_both_and_compare(b, {2, 3, 8}, 7), std::vector<std::string>{"RmsNorm"});
}

TEST(CpuFusion, RmsNormIsNotFusedWhenAnIntermediateIsAlsoAnOutput) {
  GraphBuilder b;
  b.input("x", {4, 8});
  b.scalar("two", 2.0f);
  b.scalar("eps", 1e-6f);
  b.node("Pow", {"x", "two"}, "sq");
  b.node("ReduceMean", {"sq"}, "ms", {testing::ints_attr("axes", {-1})});
  b.node("Add", {"ms", "eps"}, "mse");
  b.node("Sqrt", {"mse"}, "rms");
  b.node("Div", {"x", "rms"}, "y");
  b.output("y");
  b.output("ms");
  EXPECT_EQ(run_both_and_compare(b, {4, 8}, 8).size(), 5u);
}

TEST(CpuFusion, ErfGeluBecomesOneNode) {
  GraphBuilder b;
  b.input("x", {3, 5});
  b.scalar("sqrt2", std::sqrt(2.0f));
  b.scalar("one", 1.0f);
  b.scalar("half", 0.5f);
  b.node("Div", {"x", "sqrt2"}, "d");
  b.node("Erf", {"d"}, "e");
  b.node("Add", {"e", "one"}, "a");
  b.node("Mul", {"x", "a"}, "m");
  b.node("Mul", {"m", "half"}, "y");
  b.output("y");
  EXPECT_EQ(run_both_and_compare(b, {3, 5}, 9), std::vector<std::string>{"Gelu"});
}

TEST(CpuFusion, MatMulWithBiasBecomesFusedMatMul) {
  GraphBuilder b;
  b.input("x", {2, 5, 6});
  b.init("w", random_tensor({6, 4}, 11));
  b.init("bias", random_tensor({4}, 12));
  b.node("MatMul", {"x", "w"}, "mm");
  b.node("Add", {"bias", "mm"}, "y");
  b.output("y");
  EXPECT_EQ(run_both_and_compare(b, {2, 5, 6}, 13), std::vector<std::string>{"FusedMatMul"});
}

TEST(CpuPrecision, Bf16SessionRoundsTheFusedGemmOrSaysWhyNot) {
  // x [3, 40] · w [40, 33] + bias: with precision bf16 the cpu session's FusedMatMul equals the
  // product of the bf16-rounded operands (to fp32 accumulation order), and differs from fp32.
  GraphBuilder b;
  b.input("x", {3, 40});
  const Tensor w = random_tensor({40, 33}, 21);
  const Tensor bias = random_tensor({33}, 22);
  b.init("w", w.clone());
  b.init("bias", bias.clone());
  b.node("MatMul", {"x", "w"}, "mm");
  b.node("Add", {"mm", "bias"}, "y");
  b.output("y");
  const Tensor x = random_tensor({3, 40}, 23);
  auto run = [&](Precision p) {
    SessionOptions o;
    o.providers = {"cpu"};
    o.precision = p;
    Session s(b.copy(), o);
    std::map<std::string, Value> feeds;
    feeds["x"] = Value::from_tensor(x.clone());
    return s.run(std::move(feeds)).at("y").tensor.clone();
  };
  const Tensor fp32 = run(Precision::kFp32);
  const Tensor bf16 = run(Precision::kBf16);
  const PrecisionChoice choice = cpu_precision(Precision::kBf16);
  EXPECT_EQ(cpu_precision(Precision::kFp32).reason, "");
  EXPECT_EQ(cpu_precision(Precision::kFp32).kernel, "fp32");
  if (choice.used == Precision::kFp32) {
    EXPECT_FALSE(choice.reason.empty()) << "bf16 fell back to fp32 without a reason";
    testing::expect_close(bf16, fp32, 0.0f, 0.0f);
    return;
  }
  EXPECT_TRUE(choice.reason.empty());
  EXPECT_TRUE(choice.kernel == "amx_bf16" || choice.kernel == "avx512_bf16") << choice.kernel;
  const auto r = [](float v) { return cpu::bf16_to_float(cpu::float_to_bf16(v)); };
  double max_fp32_diff = 0;
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t j = 0; j < 33; ++j) {
      double acc = bias.data<float>()[j];
      for (int64_t k = 0; k < 40; ++k) {
        acc += static_cast<double>(r(x.data<float>()[i * 40 + k])) * r(w.data<float>()[k * 33 + j]);
      }
      const float got = bf16.data<float>()[i * 33 + j];
      EXPECT_NEAR(got, acc, 1e-5 * (1.0 + std::fabs(acc)));
      max_fp32_diff = std::max(
          max_fp32_diff, static_cast<double>(std::fabs(got - fp32.data<float>()[i * 33 + j])));
    }
  }
  EXPECT_GT(max_fp32_diff, 1e-5) << "bf16 requested but the result is fp32's";
}

TEST(CpuPrecision, UnknownPrecisionIsAnInvalidArgument) {
  EXPECT_EQ(parse_precision("bf16"), Precision::kBf16);
  EXPECT_EQ(parse_precision("fp32"), Precision::kFp32);
  try {
    (void)parse_precision("int4");
    FAIL() << "int4 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("fp32, bf16"), std::string::npos);
  }
}

TEST(CpuFusion, ConstantSubgraphsAreFolded) {
  GraphBuilder b;
  b.input("x", {3, 4});
  b.init("w", random_tensor({4}, 14));
  b.node("Neg", {"w"}, "nw");    // constant: folded
  b.node("Exp", {"nw"}, "enw");  // constant: folded
  b.node("Mul", {"x", "enw"}, "y");
  b.output("y");
  EXPECT_EQ(run_both_and_compare(b, {3, 4}, 15), std::vector<std::string>{"Mul"});
}

Tensor ints(std::vector<int64_t> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return Tensor::from_vector<int64_t>({n}, v);
}

// q/k/v projections, head split, optional RoPE and grouped-KV expand, scaled scores with a
// causal bias, softmax, context, head merge: the exporter's attention block.
// `bias` replaces the causal [t, t] bias when given (any shape broadcasting to [2, heads, t, t]).
GraphBuilder attention_block(int64_t t, int64_t heads, int64_t kv_heads, bool rope,
                             const Tensor* bias = nullptr) {
  const int64_t d = 4, c = heads * d;
  GraphBuilder b;
  b.input("x", {2, t, c});
  b.init("wq", random_tensor({c, heads * d}, 21));
  b.init("wk", random_tensor({c, kv_heads * d}, 22));
  b.init("wv", random_tensor({c, kv_heads * d}, 23));
  b.init("q_shape", ints({0, 0, heads, d}));
  b.init("kv_shape", ints({0, 0, kv_heads, d}));
  b.init("merge", ints({0, 0, heads * d}));
  b.scalar("scale", 0.5f);
  Tensor causal(DType::kFloat32, {t, t});
  for (int64_t i = 0; i < t; ++i) {
    for (int64_t j = i + 1; j < t; ++j) causal.data<float>()[i * t + j] = -1e9f;
  }
  b.init("causal", bias != nullptr ? bias->clone() : std::move(causal));
  for (const char* p : {"q", "k", "v"}) {
    const std::string n = p;
    b.node("MatMul", {"x", "w" + n}, n + "_proj");
    b.node("Reshape", {n + "_proj", n == "q" ? "q_shape" : "kv_shape"}, n + "_split");
    b.node("Transpose", {n + "_split"}, n + "4", {testing::ints_attr("perm", {0, 2, 1, 3})});
  }
  std::string q = "q4", k = "k4", v = "v4";
  if (rope) {
    b.init("cos", random_tensor({t, d}, 24));
    b.init("sin", random_tensor({t, d}, 25));
    b.init("zero", ints({0}));
    b.init("half", ints({d / 2}));
    b.init("full", ints({d}));
    b.init("last", ints({-1}));
    for (const std::string x : {"q4", "k4"}) {
      b.node("Slice", {x, "zero", "half", "last"}, x + "_x1");
      b.node("Slice", {x, "half", "full", "last"}, x + "_x2");
      b.node("Neg", {x + "_x2"}, x + "_neg");
      b.node("Concat", {x + "_neg", x + "_x1"}, x + "_rot", {testing::int_attr("axis", -1)});
      b.node("Mul", {x, "cos"}, x + "_c");
      b.node("Mul", {x + "_rot", "sin"}, x + "_s");
      b.node("Add", {x + "_c", x + "_s"}, x + "_r");
    }
    q = "q4_r";
    k = "k4_r";
  }
  if (kv_heads != heads) {
    b.init("two", ints({2}));
    b.init("expand", ints({1, 1, heads / kv_heads, 1, 1}));
    b.init("rep", ints({0, heads, -1, d}));
    for (std::string* x : {&k, &v}) {
      b.node("Unsqueeze", {*x, "two"}, *x + "_u");
      b.node("Expand", {*x + "_u", "expand"}, *x + "_e");
      b.node("Reshape", {*x + "_e", "rep"}, *x + "_rep");
      *x += "_rep";
    }
  }
  b.node("Transpose", {k}, "kt", {testing::ints_attr("perm", {0, 1, 3, 2})});
  b.node("MatMul", {q, "kt"}, "scores");
  b.node("Mul", {"scores", "scale"}, "scaled");
  b.node("Add", {"scaled", "causal"}, "masked");
  b.node("Softmax", {"masked"}, "probs", {testing::int_attr("axis", -1)});
  b.node("MatMul", {"probs", v}, "ctx");
  b.node("Transpose", {"ctx"}, "ctx_t", {testing::ints_attr("perm", {0, 2, 1, 3})});
  b.node("Reshape", {"ctx_t", "merge"}, "y");
  b.output("y");
  return b;
}

size_t count(const std::vector<std::string>& ops, const std::string& op) {
  return static_cast<size_t>(std::count(ops.begin(), ops.end(), op));
}

TEST(CpuFusion, AttentionBlockBecomesOneAttentionNode) {
  for (const int64_t t : {1, 5, 17}) {
    const auto ops = run_both_and_compare(attention_block(t, 2, 2, false), {2, t, 8}, 30);
    EXPECT_EQ(count(ops, "Attention"), 1u);
    EXPECT_EQ(count(ops, "FusedMatMul"), 3u);
    EXPECT_EQ(count(ops, "Softmax"), 0u);
  }
}

TEST(CpuFusion, RopeAndGroupedKvAttentionMatchTheComposition) {
  for (const int64_t t : {1, 6, 9}) {
    const auto ops = run_both_and_compare(attention_block(t, 4, 2, true), {2, t, 16}, 31);
    EXPECT_EQ(count(ops, "Rope"), 2u);
    EXPECT_EQ(count(ops, "Attention"), 1u);
    EXPECT_EQ(count(ops, "Neg"), 0u);
    EXPECT_EQ(count(ops, "Expand"), 0u) << "grouped KV heads are read in place, not copied";
  }
}

// The fused kernel skips the keys a mask hides (per 16-key block and per row) and finds them
// once per bias row shared by the heads: padding masks of different lengths per sample, causal
// plus padding, a per-head mask with a fully hidden row, at lengths around the 16-key blocks.
TEST(CpuFusion, AttentionMatchesTheCompositionUnderEveryMaskLayout) {
  const int64_t heads = 2;
  uint32_t seed = 40;
  for (const int64_t t : {1, 15, 16, 17, 33, 40}) {
    const int64_t lengths[2] = {t, std::max<int64_t>(1, t / 2 + 1)};  // sample 1 is padded
    Tensor padding(DType::kFloat32, {2, 1, 1, t});
    Tensor causal_padding(DType::kFloat32, {2, 1, t, t});
    Tensor per_head(DType::kFloat32, {2, heads, t, t});
    std::mt19937 rng(seed);
    for (int64_t b = 0; b < 2; ++b) {
      for (int64_t j = 0; j < t; ++j) padding.data<float>()[b * t + j] = j < lengths[b] ? 0 : -1e9f;
      for (int64_t i = 0; i < t; ++i) {
        for (int64_t j = 0; j < t; ++j) {
          causal_padding.data<float>()[(b * t + i) * t + j] = j <= i && j < lengths[b] ? 0 : -1e9f;
        }
      }
      for (int64_t h = 0; h < heads; ++h) {
        for (int64_t i = 0; i < t; ++i) {
          for (int64_t j = 0; j < t; ++j) {
            // -inf hides a key; the last row of head 1 is hidden whole (-1e9: the graph spreads
            // it uniformly, and so must the kernel).
            const bool whole_row = i == t - 1 && h == 1;
            per_head.data<float>()[((b * heads + h) * t + i) * t + j] =
                whole_row        ? -1e9f
                : rng() % 3 == 0 ? -std::numeric_limits<float>::infinity()
                                 : 0.25f * static_cast<float>(rng() % 4);
          }
        }
      }
    }
    for (const Tensor* bias : {&padding, &causal_padding, &per_head}) {
      SCOPED_TRACE("t " + std::to_string(t) + " bias " + shape_to_string(bias->shape()));
      const auto ops = run_both_and_compare(attention_block(t, heads, heads, false, bias),
                                            {2, t, heads * 4}, seed++);
      EXPECT_EQ(count(ops, "Attention"), 1u);
    }
  }
}

TEST(CpuFusion, SwiGluAndResidualFoldIntoGemmEpilogues) {
  GraphBuilder b;
  b.input("x", {3, 4, 8});
  b.init("wg", random_tensor({8, 12}, 41));
  b.init("wu", random_tensor({8, 12}, 42));
  b.init("wd", random_tensor({12, 8}, 43));
  b.node("MatMul", {"x", "wg"}, "g");
  b.node("Sigmoid", {"g"}, "sg");
  b.node("Mul", {"g", "sg"}, "silu");
  b.node("MatMul", {"x", "wu"}, "u");
  b.node("Mul", {"silu", "u"}, "h");
  b.node("MatMul", {"h", "wd"}, "d");
  b.node("Add", {"x", "d"}, "y");
  b.output("y");
  EXPECT_EQ(run_both_and_compare(b, {3, 4, 8}, 44),
            (std::vector<std::string>{"FusedMatMul", "FusedMatMul", "FusedMatMul"}));
}

TEST(CpuFusion, TanhGeluInGpt2OrderBecomesOneNode) {
  GraphBuilder b;
  b.input("x", {3, 7});
  b.scalar("half", 0.5f);
  b.scalar("three", 3.0f);
  b.scalar("c", 0.044715f);
  b.scalar("s", 0.7978845608028654f);
  b.scalar("one", 1.0f);
  b.node("Mul", {"x", "half"}, "h");
  b.node("Pow", {"x", "three"}, "x3");
  b.node("Mul", {"x3", "c"}, "cx3");
  b.node("Add", {"x", "cx3"}, "inner");
  b.node("Mul", {"inner", "s"}, "arg");
  b.node("Tanh", {"arg"}, "th");
  b.node("Add", {"th", "one"}, "a");
  b.node("Mul", {"h", "a"}, "y");
  b.output("y");
  EXPECT_EQ(run_both_and_compare(b, {3, 7}, 45), std::vector<std::string>{"Gelu"});
}

TEST(CpuFusion, TorchRsqrtRmsNormBecomesOneNode) {
  GraphBuilder b;
  b.input("x", {2, 3, 8});
  b.scalar("two", 2.0f);
  b.scalar("eps", 1e-6f);
  b.scalar("one", 1.0f);
  b.init("w", random_tensor({8}, 46));
  b.node("Pow", {"x", "two"}, "sq");
  b.node("ReduceMean", {"sq"}, "ms", {testing::ints_attr("axes", {-1})});
  b.node("Add", {"ms", "eps"}, "mse");
  b.node("Sqrt", {"mse"}, "rms");
  b.node("Div", {"one", "rms"}, "inv");
  b.node("Mul", {"x", "inv"}, "xn");
  b.node("Mul", {"xn", "w"}, "y");
  b.output("y");
  EXPECT_EQ(run_both_and_compare(b, {2, 3, 8}, 47), std::vector<std::string>{"RmsNorm"});
}

TEST(CpuKernels, DataMovementKernelsMatchReference) {
  uint32_t seed = 200;
  for (const Shape& s : std::vector<Shape>{{2, 3, 4, 5}, {1, 1}, {3, 1, 7}, {0, 4}}) {
    for (const std::vector<int64_t>& perm :
         std::vector<std::vector<int64_t>>{{}, {0, 2, 1, 3}, {0, 1, 3, 2}, {3, 2, 1, 0}}) {
      if (!perm.empty() && perm.size() != s.size()) continue;
      std::vector<Attribute> attrs;
      if (!perm.empty()) attrs.push_back(testing::ints_attr("perm", perm));
      expect_same_as_reference(make_node("Transpose", 1, 1, 13, attrs), {s}, seed++, 0, 0);
    }
  }
  for (const int64_t axis : {0, 1, -1}) {
    expect_same_as_reference(make_node("Concat", 3, 1, 13, {testing::int_attr("axis", axis)}),
                             {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}}, seed++, 0, 0);
  }
  for (const auto& [axes, keep] : std::vector<std::pair<std::vector<int64_t>, int64_t>>{
           {{1}, 0}, {{-1}, 1}, {{0, 1}, 1}, {{2}, 0}}) {
    expect_same_as_reference(
        make_node("ReduceMean", 1, 1, 17,
                  {testing::ints_attr("axes", axes), testing::int_attr("keepdims", keep)}),
        {{3, 5, 7}}, seed++, 1e-5f, 1e-5f);
  }
}

// Runs `node` on cpu and reference with the given (cloned) inputs and expects equal outputs.
void expect_same_outputs(const Node& node, const std::vector<const Tensor*>& inputs) {
  std::vector<Tensor> a, b;
  for (const Tensor* t : inputs) {
    a.push_back(t->clone());
    b.push_back(t->clone());
  }
  std::vector<Value> got = run_node(CpuProvider(1), node, std::move(a));
  std::vector<Value> want = run_node(ReferenceProvider(), node, std::move(b));
  testing::expect_close(got[0].tensor, want[0].tensor, 0.0f, 0.0f);
}

TEST(CpuKernels, GatherExpandWhereMatchReference) {
  const Tensor data = random_tensor({4, 5, 6}, 300);
  const Tensor idx = Tensor::from_vector<int64_t>({2, 3}, {0, 3, -1, 2, 2, -4});
  const Tensor one = Tensor::from_vector<int64_t>({}, {1});
  const Tensor none = Tensor::from_vector<int64_t>({0}, {});
  for (const int64_t axis : {0, 1, 2, -1}) {
    const Node g = make_node("Gather", 2, 1, 13, {testing::int_attr("axis", axis)});
    expect_same_outputs(g, {&data, &idx});
    expect_same_outputs(g, {&data, &one});
    expect_same_outputs(g, {&data, &none});
  }
  const Tensor small = random_tensor({3, 1, 5}, 301);
  for (const std::vector<int64_t>& spec :
       std::vector<std::vector<int64_t>>{{3, 4, 5}, {2, 1, 1, 1}, {1}, {2, 3, 0, 5}}) {
    const Tensor shape = Tensor::from_vector<int64_t>({static_cast<int64_t>(spec.size())}, spec);
    expect_same_outputs(make_node("Expand", 2, 1, 13), {&small, &shape});
  }
  Tensor cond(DType::kBool, {2, 1, 4});
  for (int64_t i = 0; i < cond.numel(); ++i) cond.data<bool>()[i] = (i % 3) == 0;
  const Tensor x = random_tensor({2, 3, 4}, 302);
  const Tensor y = random_tensor({4}, 303);
  expect_same_outputs(make_node("Where", 3, 1, 16), {&cond, &x, &y});
  // An out-of-range index is one clear error on cpu too.
  const Tensor bad = Tensor::from_vector<int64_t>({1}, {9});
  std::vector<Tensor> in;
  in.push_back(data.clone());
  in.push_back(bad.clone());
  EXPECT_THROW(run_node(CpuProvider(1), make_node("Gather", 2, 1, 13), std::move(in)), Error);
}

// Element-wise kernels split their rows over the pool above kMinParallelFloats: the shapes here
// are large enough for two parts, with the second starting mid-way through a head and a
// sequence, so each part must find its own table row and input offset.
TEST(CpuKernels, RowSplitKernelsEqualTheirOneThreadResult) {
  const int64_t b = 3, h = 5, t = 401, d = 24;
  const Tensor x = random_tensor({b, h, t, d}, 700);
  const Tensor cos = random_tensor({t, d}, 701);
  const Tensor sin = random_tensor({t, d}, 702);
  Node rope = make_node("Rope", 3, 1, 1);
  rope.domain = kCpuFusedDomain;
  const auto run_on = [](const CpuProvider& p, const Node& node,
                         const std::vector<const Tensor*>& inputs) {
    std::vector<Tensor> in;
    for (const Tensor* i : inputs) in.push_back(i->clone());
    return std::move(run_node(p, node, std::move(in))[0].tensor);
  };
  const CpuProvider one(1), two(2);
  const Tensor got = run_on(two, rope, {&x, &cos, &sin});
  testing::expect_close(got, run_on(one, rope, {&x, &cos, &sin}), 0.0f, 0.0f);
  // And what rotate-half means, element by element (separate products: no contraction).
  const float* px = x.data<float>();
  for (int64_t r = 0; r < b * h * t; r += 97) {
    const float* c = cos.data<float>() + (r % t) * d;
    const float* s = sin.data<float>() + (r % t) * d;
    for (int64_t i = 0; i < d; ++i) {
      const float rot = i < d / 2 ? -px[r * d + i + d / 2] : px[r * d + i - d / 2];
      const float a = px[r * d + i] * c[i];
      const float bb = rot * s[i];
      EXPECT_NEAR(got.data<float>()[r * d + i], a + bb, 1e-5f) << "row " << r << " col " << i;
    }
  }
  Node norm = make_node("RmsNorm", 2, 1, 1, {testing::float_attr("epsilon", 1e-5f)});
  norm.domain = kCpuFusedDomain;
  const Tensor rows = random_tensor({3, 1001, 96}, 703);
  const Tensor scale = random_tensor({96}, 704);
  testing::expect_close(run_on(two, norm, {&rows, &scale}), run_on(one, norm, {&rows, &scale}),
                        0.0f, 0.0f);
  const Node transpose =
      make_node("Transpose", 1, 1, 13, {testing::ints_attr("perm", {0, 2, 1, 3})});
  const Tensor bthd = random_tensor({b, t, h, d}, 705);
  expect_same_outputs(transpose, {&bthd});
  testing::expect_close(run_on(two, transpose, {&bthd}), run_on(one, transpose, {&bthd}), 0.0f,
                        0.0f);
}

TEST(CpuPlacement, FusedOpsAreNotClaimedByReference) {
  const ReferenceProvider ref;
  Node n = make_node("RmsNorm", 2, 1, 1);
  n.domain = kCpuFusedDomain;
  EXPECT_FALSE(ref.claims(n));
  EXPECT_TRUE(CpuProvider().claims(n));
}

}  // namespace
}  // namespace bog::runtime
