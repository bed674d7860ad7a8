// The graph passes are shared, not duplicated: run for the cuda provider they fuse the nodes
// placed on cuda into the same bog.cpu node types the cpu provider runs, place the fused nodes
// on cuda, and leave nodes on other providers alone. Pure graph rewrites: no device needed.
#include <gtest/gtest.h>

#include "onnx_runtime/providers/cpu/cpu_provider.h"
#include "onnx_runtime/providers/cpu/passes/passes.h"
#include "onnx_runtime/providers/reference/reference_provider.h"
#include "onnx_runtime/session.h"
#include "tests/cuda/cuda_test_util.h"

namespace bog::runtime::testing {
namespace {

Node node_on(const std::string& provider, const std::string& op, std::vector<std::string> in,
             std::string out) {
  Node n;
  n.op_type = op;
  n.name = out;
  n.opset = 17;
  n.inputs = std::move(in);
  n.outputs = {std::move(out)};
  n.provider = provider;
  return n;
}

// x -> MatMul(W) -> Add(bias) -> Relu -> y1 on `gemm_provider`;
// x -> Sigmoid -> Mul(x, .) -> y2 (a SiLU) on `silu_provider`.
Graph two_branches(const std::string& gemm_provider, const std::string& silu_provider) {
  Graph g;
  g.inputs = {{"x", {}}};
  g.outputs = {{"y1", {}}, {"y2", {}}};
  g.initializers.emplace("w", random_tensor({4, 3}, 1));
  g.initializers.emplace("b", random_tensor({3}, 2));
  g.nodes.push_back(node_on(gemm_provider, "MatMul", {"x", "w"}, "xw"));
  g.nodes.push_back(node_on(gemm_provider, "Add", {"xw", "b"}, "xwb"));
  g.nodes.push_back(node_on(gemm_provider, "Relu", {"xwb"}, "y1"));
  g.nodes.push_back(node_on(silu_provider, "Sigmoid", {"x"}, "sx"));
  g.nodes.push_back(node_on(silu_provider, "Mul", {"x", "sx"}, "y2"));
  return g;
}

TEST(CudaFusionPasses, CudaNodesBecomeTheSharedFusedTypesOnCuda) {
  Graph g = two_branches("cuda", "cuda");
  const ReferenceProvider reference;
  const auto counts = cpu::run_fusion_passes(g, "cuda", reference);
  ASSERT_EQ(g.nodes.size(), 2u);
  for (const Node& n : g.nodes) {
    EXPECT_EQ(n.domain, kCpuFusedDomain);
    EXPECT_EQ(n.provider, "cuda") << n.op_type;
  }
  EXPECT_EQ(g.nodes[0].op_type, "FusedMatMul");
  EXPECT_EQ(g.nodes[0].attr_string("activation", ""), "relu");
  EXPECT_EQ(g.nodes[1].op_type, "Silu");
  bool matmul_counted = false;
  for (const auto& c : counts) matmul_counted |= c.pass == "fuse_matmul" && c.rewrites == 1;
  EXPECT_TRUE(matmul_counted);
}

TEST(CudaFusionPasses, NodesOnOtherProvidersAreLeftAlone) {
  Graph g = two_branches("cuda", "cpu");
  const ReferenceProvider reference;
  (void)cpu::run_fusion_passes(g, "cuda", reference);
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[0].op_type, "FusedMatMul");
  EXPECT_EQ(g.nodes[0].provider, "cuda");
  EXPECT_EQ(g.nodes[1].op_type, "Sigmoid");
  EXPECT_EQ(g.nodes[1].provider, "cpu");
  EXPECT_EQ(g.nodes[2].op_type, "Mul");
  EXPECT_EQ(g.nodes[2].provider, "cpu");
  // And the cpu provider's run of the same passes fuses only its own nodes.
  (void)cpu::run_fusion_passes(g, "cpu", reference);
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].provider, "cuda");
  EXPECT_EQ(g.nodes[1].op_type, "Silu");
  EXPECT_EQ(g.nodes[1].provider, "cpu");
}

// Where a device runs the provider: a session on [cuda, cpu] places the fused nodes on cuda.
TEST(CudaFusionPasses, SessionPlacesTheFusedNodesOnCuda) {
  BOG_REQUIRE_CUDA(cuda);
  Model m;
  m.ir_version = 8;
  m.graph = two_branches("", "");
  m.graph.opsets[""] = 17;
  Session s(std::move(m), {cuda, make_provider("cpu")}, false);
  const PlacementReport& r = s.placement();
  EXPECT_EQ(r.used, std::vector<std::string>{"cuda"});
  for (const NodePlacement& n : r.nodes) EXPECT_EQ(n.provider, "cuda") << n.op_type;
  std::map<std::string, Value> feeds;
  feeds["x"] = Value::from_tensor(random_tensor({5, 4}, 3));
  (void)s.run(std::move(feeds));
  EXPECT_GT(s.placement().transfers.host_to_device, 0) << "inputs and weights were uploaded";
  EXPECT_GT(s.placement().transfers.device_to_host, 0) << "outputs came back";
}

}  // namespace
}  // namespace bog::runtime::testing
