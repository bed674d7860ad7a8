// Weights packed when the session is made (providers/cpu/prepacked_weights.h): the float32
// initializer is released where only the packed GEMMs read it and kept where anything else
// does; the lanes of a batch run use the session's packed weights.
#include <gtest/gtest.h>

#include "onnx_runtime/providers/cpu/gemm/packed_gemm.h"
#include "onnx_runtime/providers/cpu/prepacked_weights.h"
#include "onnx_runtime/session.h"
#include "tests/runtime/kernel_test_util.h"

namespace bog::runtime::testing {
namespace {

ValueInfo float_value(const std::string& name, std::vector<Dim> shape) {
  ValueInfo v;
  v.name = name;
  v.type.elem_type = DType::kFloat32;
  v.type.has_shape = !shape.empty();
  v.type.shape = std::move(shape);
  return v;
}

Node plain_node(const std::string& op, std::vector<std::string> in, const std::string& out) {
  Node n;
  n.op_type = op;
  n.name = out + "_node";
  n.opset = 17;
  n.inputs = std::move(in);
  n.outputs = {out};
  return n;
}

// y = x [batch, 16] · w [16, 24] + bias; with `weight_read_elsewhere`, also w_out = Identity(w).
Model linear_model(bool weight_read_elsewhere) {
  Model m;
  m.ir_version = 8;
  Graph& g = m.graph;
  g.opsets[""] = 17;
  g.inputs.push_back(float_value("x", {Dim{-1, "batch"}, Dim{16, ""}}));
  g.outputs.push_back(float_value("y", {}));
  g.initializers["w"] = random_tensor({16, 24}, 31);
  g.initializers["bias"] = random_tensor({24}, 32);
  g.nodes.push_back(plain_node("MatMul", {"x", "w"}, "mm"));
  g.nodes.push_back(plain_node("Add", {"mm", "bias"}, "y"));
  if (weight_read_elsewhere) {
    g.nodes.push_back(plain_node("Identity", {"w"}, "w_out"));
    g.outputs.push_back(float_value("w_out", {}));
  }
  return m;
}

struct Ran {
  std::unique_ptr<Session> session;
  std::map<std::string, Value> outputs;
};

// A session of a copy of `source` (its initializers cloned) and its outputs for x.
Ran run_model(const Model& source, const SessionOptions& o, const Tensor& x) {
  Model m;
  m.ir_version = source.ir_version;
  m.graph.opsets = source.graph.opsets;
  m.graph.inputs = source.graph.inputs;
  m.graph.outputs = source.graph.outputs;
  m.graph.nodes = source.graph.nodes;
  for (const auto& [k, t] : source.graph.initializers) m.graph.initializers[k] = t.clone();
  Ran r{std::make_unique<Session>(std::move(m), o), {}};
  std::map<std::string, Value> feeds;
  feeds["x"] = Value::from_tensor(x.clone());
  r.outputs = r.session->run(std::move(feeds));
  return r;
}

SessionOptions on(const std::string& provider, int threads = 1) {
  SessionOptions o;
  o.providers = {provider};
  o.threads = threads;
  o.optimize = provider != "reference";
  return o;
}

// The cpu session of `m` (options o) on x, its y checked against the reference provider's.
Ran run_checked(const Model& m, const SessionOptions& o, const Tensor& x) {
  Ran got = run_model(m, o, x);
  const Ran want = run_model(m, on("reference"), x);
  expect_close(got.outputs.at("y").tensor, want.outputs.at("y").tensor, 1e-5f, 1e-5f);
  return got;
}

TEST(CpuPrepack, ReleasesAWeightOnlyThePackedGemmReads) {
  const Model m = linear_model(false);
  const Tensor x = random_tensor({3, 16}, 33);
  const Ran got = run_checked(m, on("cpu"), x);
  const Session* s = got.session.get();
  const Tensor& w = s->model().graph.initializers.at("w");
  EXPECT_EQ(w.raw(), nullptr) << "the float32 weight is still held beside its panels";
  EXPECT_EQ(w.shape(), (Shape{16, 24})) << "a released weight keeps its shape";
  EXPECT_NE(s->model().graph.initializers.at("bias").raw(), nullptr) << "the bias is not packed";
}

TEST(CpuPrepack, KeepsAWeightThatAnotherNodeReads) {
  const Model m = linear_model(true);
  const Tensor x = random_tensor({3, 16}, 34);
  const Ran got = run_checked(m, on("cpu"), x);
  const Session* s = got.session.get();
  expect_close(got.outputs.at("w_out").tensor, m.graph.initializers.at("w"), 0.0f, 0.0f);
  EXPECT_NE(s->model().graph.initializers.at("w").raw(), nullptr);
}

TEST(CpuPrepack, LanesRunOnTheSessionsPackedWeights) {
  // Two threads on a batch of 64: one lane per thread, each its own single-thread session. The
  // weight was released by the session, so the lanes can only have used its panels; the store
  // holds one packed copy.
  const Model m = linear_model(false);
  const Tensor x = random_tensor({64, 16}, 35);
  SessionOptions o = on("cpu", 2);
  o.prepacked = std::make_shared<cpu::PrepackedWeights>();
  const Ran got = run_checked(m, o, x);
  const Session* s = got.session.get();
  EXPECT_EQ(s->optimization_report().batch_lanes, 2);
  EXPECT_EQ(s->model().graph.initializers.at("w").raw(), nullptr);
  const cpu::GemmIsa isa = cpu::best_gemm_isa();
  EXPECT_EQ(o.prepacked->bytes(), static_cast<size_t>(cpu::packed_size(isa, 16, 24)) * 4);
  EXPECT_NE(o.prepacked->find("w", false, false), nullptr);
}

}  // namespace
}  // namespace bog::runtime::testing
