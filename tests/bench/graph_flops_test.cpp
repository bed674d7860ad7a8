// FLOPs from the shapes of one run (bench/graph_flops.h): each counted op against its formula,
// and a run of a whole graph, fused on cpu and plain on reference, giving the same total.
#include "bench/graph_flops.h"

#include <gtest/gtest.h>

#include "onnx_runtime/session.h"

namespace bog::bench {
namespace {

using runtime::Node;
using runtime::Shape;

Node op(const std::string& type, std::vector<std::string> in, std::string domain = "") {
  Node n;
  n.op_type = type;
  n.domain = std::move(domain);
  n.name = type;
  n.opset = 17;
  n.inputs = std::move(in);
  n.outputs = {"y"};
  return n;
}

double flops_of(const Node& n, const std::map<std::string, Shape>& shapes) {
  return node_flops(n, [&shapes](const std::string& name) -> const Shape* {
    const auto it = shapes.find(name);
    return it == shapes.end() ? nullptr : &it->second;
  });
}

TEST(GraphFlops, CountsTwoPerMultiplyAddOfEachProduct) {
  // [2, 3, 8] x [8, 5]: 30 outputs, 8 multiply-adds each.
  EXPECT_EQ(flops_of(op("MatMul", {"a", "b"}), {{"a", {2, 3, 8}}, {"b", {8, 5}}, {"y", {2, 3, 5}}}),
            2.0 * 30 * 8);
  Node gemm = op("Gemm", {"a", "b"});
  runtime::Attribute trans;
  trans.name = "transA";
  trans.type = runtime::Attribute::Type::kInt;
  trans.i = 1;
  gemm.attributes.push_back(trans);
  // Aᵀ: A [7, 4] is K x M.
  EXPECT_EQ(flops_of(gemm, {{"a", {7, 4}}, {"b", {7, 6}}, {"y", {4, 6}}}), 2.0 * 24 * 7);
  // Conv: Y [1, 8, 5, 5] from W [8, 3, 3, 3]: each output reads 27 inputs.
  EXPECT_EQ(flops_of(op("Conv", {"x", "w"}),
                     {{"x", {1, 3, 7, 7}}, {"w", {8, 3, 3, 3}}, {"y", {1, 8, 5, 5}}}),
            2.0 * 200 * 27);
  // Fused attention: Q [1, 2, 4, 8], V [1, 2, 6, 8], merged output [1, 4, 16].
  EXPECT_EQ(
      flops_of(op("Attention", {"q", "k", "v"}, "bog.cpu"),
               {{"q", {1, 2, 4, 8}}, {"k", {1, 2, 6, 8}}, {"v", {1, 2, 6, 8}}, {"y", {1, 4, 16}}}),
      2.0 * 6 * (64 + 64));
  EXPECT_EQ(flops_of(op("FusedMatMul", {"a", "w"}, "bog.cpu"), {{"a", {3, 8}}, {"y", {3, 2}}}),
            2.0 * 6 * 8);
  EXPECT_EQ(flops_of(op("Relu", {"a"}), {{"a", {3, 8}}, {"y", {3, 8}}}), 0.0);
  EXPECT_EQ(flops_of(op("MatMul", {"a", "b"}), {{"y", {3, 8}}}), 0.0) << "unknown shapes count 0";
}

runtime::Model two_layer_model() {
  runtime::Model m;
  m.ir_version = 8;
  runtime::Graph& g = m.graph;
  g.opsets[""] = 17;
  runtime::ValueInfo x;
  x.name = "x";
  x.type.elem_type = runtime::DType::kFloat32;
  x.type.has_shape = true;
  x.type.shape = {runtime::Dim{-1, "batch"}, runtime::Dim{12, ""}};
  g.inputs.push_back(x);
  runtime::ValueInfo y;
  y.name = "y";
  y.type.elem_type = runtime::DType::kFloat32;
  g.outputs.push_back(y);
  g.initializers["w1"] = runtime::Tensor(runtime::DType::kFloat32, {12, 20});
  g.initializers["b1"] = runtime::Tensor(runtime::DType::kFloat32, {20});
  g.initializers["w2"] = runtime::Tensor(runtime::DType::kFloat32, {20, 4});
  auto add = [&g](const std::string& type, std::vector<std::string> in, const std::string& out) {
    Node n = op(type, std::move(in));
    n.name = out;
    n.outputs = {out};
    g.nodes.push_back(std::move(n));
  };
  add("MatMul", {"x", "w1"}, "h");
  add("Add", {"h", "b1"}, "hb");
  add("Relu", {"hb"}, "r");
  add("MatMul", {"r", "w2"}, "y");
  return m;
}

TEST(GraphFlops, AFusedAndAPlainRunOfOneGraphCountTheSame) {
  std::map<std::string, runtime::Tensor> feeds;
  feeds.emplace("x", runtime::Tensor(runtime::DType::kFloat32, {5, 12}));
  const double want = 2.0 * 5 * (12 * 20 + 20 * 4);
  for (const char* provider : {"cpu", "reference"}) {
    runtime::SessionOptions o;
    o.providers = {provider};
    runtime::Session s(two_layer_model(), o);
    EXPECT_EQ(run_and_count_flops(s, feeds), want) << provider;
    EXPECT_EQ(run_and_count_flops(s, feeds), want) << provider << ", second run";
  }
}

}  // namespace
}  // namespace bog::bench
