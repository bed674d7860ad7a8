// Placement and fallback without a GPU: fake providers claim listed op types; the report, the
// fallback reasons and strict mode are checked on real graphs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "onnx_runtime/session.h"
#include "tests/runtime/fake_provider.h"
#include "tests/runtime/model_builder.h"

namespace bog::runtime {
namespace {
using testing::FakeProvider;

// x -> Add(bias) -> Relu -> Sigmoid -> y
Model three_op_model() {
  onnx::ModelProto m = testing::add_relu_model();
  onnx::GraphProto* g = m.mutable_graph();
  g->mutable_output(0)->set_name("r");
  g->mutable_node(1)->set_output(0, "r");
  testing::add_node(g, "Sigmoid", {"r"}, {"y"}, "sigmoid");
  testing::add_value_info(g->mutable_output(), "y", onnx::TensorProto::FLOAT, {-1, 3});
  g->mutable_output()->SwapElements(0, 1);
  g->mutable_output()->RemoveLast();
  return testing::load(m);
}

std::shared_ptr<ExecutionProvider> fake(std::string name, std::set<std::string> ops) {
  return std::make_shared<FakeProvider>(std::move(name), std::move(ops));
}

std::shared_ptr<ExecutionProvider> reference() { return make_provider("reference"); }

TEST(Placement, PutsEachNodeOnTheFirstProviderThatClaimsIt) {
  Session s(three_op_model(), {fake("fast", {"Add", "Relu"}), reference()}, false);
  const PlacementReport& r = s.placement();
  EXPECT_EQ(r.requested, (std::vector<std::string>{"fast", "reference"}));
  EXPECT_EQ(r.used, (std::vector<std::string>{"fast", "reference"}));
  EXPECT_EQ(r.nodes_per_provider.at("fast"), 2);
  EXPECT_EQ(r.nodes_per_provider.at("reference"), 1);
  ASSERT_EQ(r.nodes.size(), 3u);
  EXPECT_EQ(r.nodes[0].provider, "fast");
  EXPECT_TRUE(r.nodes[0].fallback_reasons.empty());
  EXPECT_EQ(r.nodes[2].node, "sigmoid");
  EXPECT_EQ(r.nodes[2].provider, "reference");
  EXPECT_EQ(r.nodes[2].fallback_reasons, std::vector<std::string>{"fast: op Sigmoid not claimed"});
  EXPECT_TRUE(r.has_fallback());
  const nlohmann::json j = r.to_json();
  EXPECT_EQ(j["used"].size(), 2u);
}

TEST(Placement, MixedPlacementComputesTheSameResultAsReference) {
  Session mixed(three_op_model(), {fake("fast", {"Add", "Relu"}), reference()}, false);
  Session ref(three_op_model(), {reference()}, false);
  auto feeds = [] {
    std::map<std::string, Value> f;
    f["x"] = Value::from_tensor(Tensor::from_vector<float>({2, 3}, {-1, 0, 1, 2, 3, -4}));
    return f;
  };
  const auto a = mixed.run(feeds());
  const auto b = ref.run(feeds());
  const Tensor& ya = a.at("y").tensor;
  const Tensor& yb = b.at("y").tensor;
  ASSERT_EQ(ya.shape(), yb.shape());
  for (int64_t i = 0; i < ya.numel(); ++i) EXPECT_EQ(ya.data<float>()[i], yb.data<float>()[i]);
}

TEST(Placement, FallsBackWhenAProviderHasNoDevice) {
  auto cuda = std::make_shared<FakeProvider>(
      "cuda", std::set<std::string>{"Add", "Relu", "Sigmoid"}, false, "no CUDA device");
  Session s(three_op_model(), {cuda, reference()}, false);
  const PlacementReport& r = s.placement();
  EXPECT_EQ(r.used, std::vector<std::string>{"reference"});
  EXPECT_EQ(r.fallback_reasons(), std::vector<std::string>{"cuda: no CUDA device"});
  EXPECT_EQ(cuda->kernels_created, 0);
}

TEST(Placement, StrictModeTurnsAFallbackIntoAnError) {
  try {
    Session s(three_op_model(), {fake("fast", {"Add", "Relu"}), reference()}, true);
    FAIL() << "strict placement accepted a fallback";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kProviderUnavailable);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("sigmoid"), std::string::npos) << msg;
    EXPECT_NE(msg.find("fast: op Sigmoid not claimed"), std::string::npos) << msg;
  }
  // No fallback, no error.
  EXPECT_NO_THROW(Session(three_op_model(), {fake("fast", {"Add", "Relu", "Sigmoid"})}, true));
}

TEST(Placement, UnclaimedOpIsUnsupportedNamingOpAndOpset) {
  try {
    Session s(three_op_model(), {fake("fast", {"Add", "Relu"})}, false);
    FAIL() << "a node no provider claims was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kUnsupported);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("Sigmoid"), std::string::npos) << msg;
    EXPECT_NE(msg.find("opset 17"), std::string::npos) << msg;
  }
}

TEST(Placement, UnknownProviderNameIsInvalidArgument) {
  SessionOptions options;
  options.providers = {"warp-drive"};
  try {
    Session s(three_op_model(), options);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidArgument);
  }
}

TEST(Placement, PlacesSubgraphNodesOnTheSameProviders) {
  onnx::ModelProto m = testing::empty_model();
  onnx::GraphProto* g = m.mutable_graph();
  testing::add_value_info(g->mutable_input(), "c", onnx::TensorProto::BOOL, {});
  testing::add_value_info(g->mutable_input(), "x", onnx::TensorProto::FLOAT, {2});
  onnx::NodeProto* n = testing::add_node(g, "If", {"c"}, {"y"}, "if");
  onnx::GraphProto* t = testing::add_graph_attr(n, "then_branch");
  testing::add_node(t, "Relu", {"x"}, {"t"}, "relu");
  testing::add_value_info(t->mutable_output(), "t", onnx::TensorProto::FLOAT, {2});
  onnx::GraphProto* e = testing::add_graph_attr(n, "else_branch");
  testing::add_node(e, "Neg", {"x"}, {"e"}, "neg");
  testing::add_value_info(e->mutable_output(), "e", onnx::TensorProto::FLOAT, {2});
  testing::add_value_info(g->mutable_output(), "y", onnx::TensorProto::FLOAT, {2});
  Session s(testing::load(m), {fake("fast", {"If", "Relu"}), reference()}, false);
  const PlacementReport& r = s.placement();
  ASSERT_EQ(r.nodes.size(), 3u);
  std::map<std::string, std::string> where;
  for (const NodePlacement& p : r.nodes) where[p.node] = p.provider;
  EXPECT_EQ(where.at("if"), "fast");
  EXPECT_EQ(where.at("if/relu"), "fast");
  EXPECT_EQ(where.at("if/neg"), "reference");

  std::map<std::string, Value> feeds;
  Tensor c(DType::kBool, {});
  feeds["c"] = Value::from_tensor(std::move(c));  // false: else branch (Neg on reference)
  feeds["x"] = Value::from_tensor(Tensor::from_vector<float>({2}, {1.5f, -2.0f}));
  const auto out = s.run(std::move(feeds));
  EXPECT_EQ(out.at("y").tensor.data<float>()[0], -1.5f);
  EXPECT_EQ(out.at("y").tensor.data<float>()[1], 2.0f);
}

}  // namespace
}  // namespace bog::runtime
