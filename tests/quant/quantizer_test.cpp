// bog::quant rewrites on a small embedding + MatMul + head model: each method's file passes the
// checker, runs in the interpreter close to fp32, skips what the config names, reports why; bad
// input fails with one error and writes nothing.
#include "quant/quantizer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include "common/atomic_file.h"
#include "common/error.h"
#include "onnx_runtime/session.h"

namespace bog::quant {
namespace {
namespace fs = std::filesystem;

void add_float_init(onnx::GraphProto* g, const std::string& name, std::vector<int64_t> dims,
                    uint32_t seed, float scale) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  int64_t n = 1;
  for (int64_t d : dims) {
    t->add_dims(d);
    n *= d;
  }
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  for (int64_t i = 0; i < n; ++i) t->add_float_data(dist(rng));
}

void add_io(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list, const std::string& name,
            int32_t type) {
  auto* v = list->Add();
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(type);
  tt->mutable_shape()->add_dim()->set_dim_param("batch");
  tt->mutable_shape()->add_dim()->set_dim_param("sequence");
  if (type == onnx::TensorProto::FLOAT) tt->mutable_shape()->add_dim()->set_dim_value(4);
}

void add_node(onnx::GraphProto* g, const std::string& op, const std::string& name,
              std::vector<std::string> in, std::string out) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (auto& i : in) n->add_input(i);
  n->add_output(out);
}

// ids -> Gather(tok_embeddings [50, 64]) -> MatMul(w1 [64, 40]) -> Relu -> MatMul(head [40, 4]).
std::string tiny_model(bool with_matmul = true) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("tiny");
  add_io(g->mutable_input(), "input_ids", onnx::TensorProto::INT64);
  add_io(g->mutable_output(), "logits", onnx::TensorProto::FLOAT);
  add_float_init(g, "tok_embeddings", {50, 64}, 1, 1.0f);
  add_node(g, "Gather", "embed", {"tok_embeddings", "input_ids"}, "x");
  if (with_matmul) {
    add_float_init(g, "w1.weight", {64, 40}, 2, 0.2f);
    add_float_init(g, "head.weight", {40, 4}, 3, 0.3f);
    add_node(g, "MatMul", "w1.matmul", {"x", "w1.weight"}, "h");
    add_node(g, "Relu", "relu", {"h"}, "hr");
    add_node(g, "MatMul", "head.matmul", {"hr", "head.weight"}, "logits");
  } else {
    add_node(g, "Relu", "relu", {"x"}, "logits");
  }
  std::string s;
  m.SerializeToString(&s);
  return s;
}

// ids -> Gather(table [50, 64]) = x -> SwiGLU MLP with a residual:
//   y = x + MatMul(Sigmoid(x Wg + bg) * (x Wg + bg) * (x Wu), Wd) -> MatMul(head)
// the shape whose int8 GEMMs take bias, SiLU, the gated product and the residual as epilogues.
std::string swiglu_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("swiglu");
  add_io(g->mutable_input(), "input_ids", onnx::TensorProto::INT64);
  add_io(g->mutable_output(), "logits", onnx::TensorProto::FLOAT);
  add_float_init(g, "tok_embeddings", {50, 64}, 1, 1.0f);
  add_float_init(g, "gate.weight", {64, 48}, 2, 0.2f);
  add_float_init(g, "gate.bias", {48}, 3, 0.1f);
  add_float_init(g, "up.weight", {64, 48}, 4, 0.2f);
  add_float_init(g, "down.weight", {48, 64}, 5, 0.2f);
  add_float_init(g, "head.weight", {64, 4}, 6, 0.3f);
  add_node(g, "Gather", "embed", {"tok_embeddings", "input_ids"}, "x");
  add_node(g, "MatMul", "gate.matmul", {"x", "gate.weight"}, "g0");
  add_node(g, "Add", "gate.add", {"g0", "gate.bias"}, "g1");
  add_node(g, "Sigmoid", "gate.sigmoid", {"g1"}, "g2");
  add_node(g, "Mul", "gate.silu", {"g1", "g2"}, "g3");
  add_node(g, "MatMul", "up.matmul", {"x", "up.weight"}, "u");
  add_node(g, "Mul", "swiglu", {"g3", "u"}, "h");
  add_node(g, "MatMul", "down.matmul", {"h", "down.weight"}, "d");
  add_node(g, "Add", "residual", {"x", "d"}, "r");
  add_node(g, "MatMul", "head.matmul", {"r", "head.weight"}, "logits");
  std::string s;
  m.SerializeToString(&s);
  return s;
}

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / fmt::format("bog_quant_test_{}", ::getpid());
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

runtime::Tensor run(const fs::path& file, const std::string& provider,
                    runtime::Session::OptimizationReport* report = nullptr) {
  runtime::SessionOptions o;
  o.providers = {provider};
  o.strict = true;
  runtime::Session s = runtime::Session::from_file(file, o);
  if (report) *report = s.optimization_report();
  runtime::Tensor ids(runtime::DType::kInt64, {2, 7});
  for (int64_t i = 0; i < ids.numel(); ++i) ids.data<int64_t>()[i] = (i * 7 + 3) % 50;
  std::map<std::string, runtime::Value> feeds;
  feeds["input_ids"] = runtime::Value::from_tensor(std::move(ids));
  return std::move(s.run(std::move(feeds)).at("logits").tensor);
}

QuantizeOptions options(Method m) {
  QuantizeOptions o;
  o.method = m;
  o.config.skip = {"head"};
  return o;
}

class EveryMethod : public ::testing::TestWithParam<Method> {};

TEST_P(EveryMethod, WritesACheckedFileThatRunsCloseToFp32AndSkipsTheHead) {
  TempDir dir;
  const fs::path in = dir.path() / "fp32.onnx";
  const fs::path out = dir.path() / "q.onnx";
  write_file_atomic(in, tiny_model());
  const QuantizeResult r = quantize_file(in, out, options(GetParam()));
  ASSERT_TRUE(fs::exists(out));
  EXPECT_LT(r.output_bytes, r.input_bytes);
  ASSERT_EQ(r.decisions.size(), 3u);
  for (const Decision& d : r.decisions) {
    if (d.node == "head.matmul") {
      EXPECT_FALSE(d.quantized);
      EXPECT_NE(d.reason.find("skip"), std::string::npos);
    } else {
      EXPECT_TRUE(d.quantized) << d.node << ": " << d.reason;
      EXPECT_LT(d.bytes_after, d.bytes_before);
    }
  }
  const runtime::Tensor want = run(in, "reference");
  for (const char* provider : {"reference", "cpu"}) {
    SCOPED_TRACE(provider);
    const runtime::Tensor got = run(out, provider);
    ASSERT_EQ(got.shape(), want.shape());
    float scale = 0, worst = 0;
    for (int64_t i = 0; i < want.numel(); ++i) {
      scale = std::max(scale, std::fabs(want.data<float>()[i]));
      worst = std::max(worst, std::fabs(got.data<float>()[i] - want.data<float>()[i]));
    }
    // 4-bit blocks of a Gaussian lose about a tenth of the signal; 8-bit about a hundredth.
    const float budget = GetParam() == Method::kWeightInt4 ? 0.2f : 0.05f;
    EXPECT_LE(worst, budget * scale) << "max |diff| " << worst << " vs max |y| " << scale;
  }
}

INSTANTIATE_TEST_SUITE_P(Quantizer, EveryMethod,
                         ::testing::Values(Method::kDynamicInt8, Method::kWeightInt8,
                                           Method::kWeightInt4),
                         [](const auto& info) {
                           std::string s = method_name(info.param);
                           for (char& c : s) c = c == '-' ? '_' : c;
                           return s;
                         });

TEST(Quantizer, DynamicInt8RunsBitIdenticallyOnCpuAndReference) {
  TempDir dir;
  const fs::path in = dir.path() / "fp32.onnx";
  const fs::path out = dir.path() / "q.onnx";
  write_file_atomic(in, tiny_model());
  QuantizeOptions o = options(Method::kDynamicInt8);
  o.config.skip.clear();  // every MatMul in the int8 chain, none left to a float GEMM
  (void)quantize_file(in, out, o);
  const runtime::Tensor a = run(out, "cpu");
  const runtime::Tensor b = run(out, "reference");
  ASSERT_EQ(a.shape(), b.shape());
  for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(a.data<float>()[i], b.data<float>()[i]) << i;
}

// On cpu the int8 GEMMs absorb bias, SiLU, the SwiGLU product and the residual (the
// fuse_matmul pass grows DynamicQuantizeMatMul's epilogue, and merges the gate into up); the
// result stays the reference's up to the fused SiLU's rounding.
TEST(Quantizer, DynamicInt8SwiGluEpiloguesFuseOnCpuAndMatchReference) {
  TempDir dir;
  const fs::path in = dir.path() / "fp32.onnx";
  const fs::path out = dir.path() / "q.onnx";
  write_file_atomic(in, swiglu_model());
  QuantizeOptions o = options(Method::kDynamicInt8);
  o.config.skip.clear();
  (void)quantize_file(in, out, o);
  runtime::Session::OptimizationReport report;
  const runtime::Tensor a = run(out, "cpu", &report);
  const runtime::Tensor b = run(out, "reference");
  int int8_chains = 0, epilogue_rewrites = 0;
  for (const auto& [provider, pass] : report.passes) {
    if (pass.pass == "fuse_dynamic_quantize_matmul") int8_chains = pass.rewrites;
    if (pass.pass == "fuse_matmul") epilogue_rewrites = pass.rewrites;
  }
  EXPECT_EQ(int8_chains, 4);  // gate, up, down, head
  // gate (bias + SiLU), down (residual), the gated product into up.
  EXPECT_EQ(epilogue_rewrites, 3);
  // Only three int8 GEMMs (the gate runs inside up's, block by block), the DynamicQuantizeLinear
  // that quantizes their X once, the embedding's Gather and DequantizeLinear remain.
  EXPECT_EQ(report.nodes_after, 6);
  ASSERT_EQ(a.shape(), b.shape());
  float scale = 0, worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    scale = std::max(scale, std::fabs(b.data<float>()[i]));
    worst = std::max(worst, std::fabs(a.data<float>()[i] - b.data<float>()[i]));
  }
  EXPECT_LE(worst, 1e-4f * std::max(1.0f, scale));
}

TEST(Quantizer, KeepEmbeddingsLeavesTheTableInFloat) {
  QuantizeOptions o = options(Method::kWeightInt4);
  o.config.quantize_embeddings = false;
  QuantizeResult r;
  (void)quantize_bytes(tiny_model(), o, r);
  for (const Decision& d : r.decisions) {
    if (d.op == "Gather") {
      EXPECT_FALSE(d.quantized);
      EXPECT_NE(d.reason.find("keep-embeddings"), std::string::npos);
    }
  }
}

TEST(Quantizer, BadInputFailsWithOneErrorAndWritesNothing) {
  TempDir dir;
  const fs::path out = dir.path() / "q.onnx";
  const fs::path junk = dir.path() / "junk.onnx";
  write_file_atomic(junk, "this is not a model");
  auto category = [](auto&& fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.category();
    }
    return ErrorCategory::kInternal;
  };
  EXPECT_EQ(category([&] { (void)quantize_file(junk, out, options(Method::kWeightInt4)); }),
            ErrorCategory::kInvalidModel);
  const fs::path no_mm = dir.path() / "no_matmul.onnx";
  write_file_atomic(no_mm, tiny_model(false));
  EXPECT_EQ(category([&] { (void)quantize_file(no_mm, out, options(Method::kDynamicInt8)); }),
            ErrorCategory::kInvalidArgument);
  EXPECT_EQ(category([&] { (void)parse_method("int3"); }), ErrorCategory::kInvalidArgument);
  const fs::path good = dir.path() / "fp32.onnx";
  write_file_atomic(good, tiny_model());
  EXPECT_EQ(category([&] {
              (void)quantize_file(good, dir.path() / "missing" / "q.onnx",
                                  options(Method::kDynamicInt8));
            }),
            ErrorCategory::kIo);
  EXPECT_EQ(category([&] {
              (void)quantize_file(dir.path() / "absent.onnx", out, options(Method::kWeightInt8));
            }),
            ErrorCategory::kIo);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_FALSE(fs::exists(dir.path() / "missing"));
}

}  // namespace
}  // namespace bog::quant
