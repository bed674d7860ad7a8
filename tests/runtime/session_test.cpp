// Session: end-to-end runs with dynamic shapes, feed validation with clear errors, the node
// observer, kernel errors wrapped with the node, and loading from a file.
#include "onnx_runtime/session.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common/error.h"
#include "onnx_runtime/providers/reference/reference_provider.h"
#include "tests/runtime/model_builder.h"

namespace bog::runtime {
namespace {

ErrorCategory run_category(Session& s, std::map<std::string, Value> feeds,
                           std::string* msg = nullptr) {
  try {
    (void)s.run(std::move(feeds));
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.category();
  }
  ADD_FAILURE() << "run did not throw";
  return ErrorCategory::kInternal;
}

Session add_relu_session() {
  return Session(testing::load(testing::add_relu_model()), SessionOptions{});
}

TEST(Session, RunsAddReluEndToEndForAnyBatch) {
  Session s = add_relu_session();
  const float bias[3] = {1.0f, -2.0f, 0.5f};
  for (const int64_t batch : {1, 5, 0}) {
    const uint32_t seed = static_cast<uint32_t>(batch) + 11;
    SCOPED_TRACE(::testing::Message() << "seed=" << seed << " batch=" << batch);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-3, 3);
    Tensor x(DType::kFloat32, {batch, 3});
    for (float& v : x.span<float>()) v = dist(rng);
    std::map<std::string, Value> feeds;
    feeds["x"] = Value::from_tensor(x.clone());
    const auto out = s.run(std::move(feeds));
    ASSERT_EQ(out.size(), 1u);
    const Tensor& y = out.at("y").tensor;
    ASSERT_EQ(y.shape(), (Shape{batch, 3}));
    for (int64_t i = 0; i < y.numel(); ++i) {
      EXPECT_EQ(y.data<float>()[i], std::max(0.0f, x.data<float>()[i] + bias[i % 3]));
    }
  }
}

TEST(Session, ReportsMissingFeed) {
  Session s = add_relu_session();
  std::string msg;
  EXPECT_EQ(run_category(s, {}, &msg), ErrorCategory::kInvalidArgument);
  EXPECT_NE(msg.find("missing input 'x'"), std::string::npos) << msg;
}

TEST(Session, RejectsFeedWithWrongDtypeOrRank) {
  Session s = add_relu_session();
  std::map<std::string, Value> wrong_dtype;
  wrong_dtype["x"] = Value::from_tensor(Tensor(DType::kInt64, {1, 3}));
  std::string msg;
  EXPECT_EQ(run_category(s, std::move(wrong_dtype), &msg), ErrorCategory::kInvalidArgument);
  EXPECT_NE(msg.find("int64"), std::string::npos) << msg;
  std::map<std::string, Value> wrong_rank;
  wrong_rank["x"] = Value::from_tensor(Tensor(DType::kFloat32, {3}));
  EXPECT_EQ(run_category(s, std::move(wrong_rank), &msg), ErrorCategory::kInvalidArgument);
  EXPECT_NE(msg.find("rank 2"), std::string::npos) << msg;
  std::map<std::string, Value> wrong_kind;
  wrong_kind["x"] = Value::from_sequence({}, DType::kFloat32);
  EXPECT_EQ(run_category(s, std::move(wrong_kind)), ErrorCategory::kInvalidArgument);
}

TEST(Session, RejectsUnknownFeedName) {
  Session s = add_relu_session();
  std::map<std::string, Value> feeds;
  feeds["x"] = Value::from_tensor(Tensor(DType::kFloat32, {1, 3}));
  feeds["z"] = Value::from_tensor(Tensor(DType::kFloat32, {1, 3}));
  EXPECT_EQ(run_category(s, std::move(feeds)), ErrorCategory::kInvalidArgument);
}

TEST(Session, WrapsKernelErrorsWithTheNode) {
  Session s = add_relu_session();
  std::map<std::string, Value> feeds;
  feeds["x"] = Value::from_tensor(Tensor(DType::kFloat32, {2, 4}));  // 4 does not broadcast with 3
  std::string msg;
  const ErrorCategory c = run_category(s, std::move(feeds), &msg);
  EXPECT_NE(c, ErrorCategory::kInternal);
  EXPECT_NE(msg.find("node 'add' (Add)"), std::string::npos) << msg;
}

TEST(Session, CallsTheObserverAfterEveryNodeInOrder) {
  Session s = add_relu_session();
  std::vector<std::string> seen;
  s.set_node_observer([&](const Node& node, const std::vector<Value>& outputs) {
    seen.push_back(node.op_type);
    ASSERT_EQ(outputs.size(), 1u);
    EXPECT_EQ(outputs[0].tensor.shape(), (Shape{2, 3}));
  });
  std::map<std::string, Value> feeds;
  feeds["x"] = Value::from_tensor(Tensor(DType::kFloat32, {2, 3}));
  (void)s.run(std::move(feeds));
  EXPECT_EQ(seen, (std::vector<std::string>{"Add", "Relu"}));
}

TEST(Session, ListsInputsWithoutInitializersAndOutputs) {
  onnx::ModelProto m = testing::add_relu_model();
  // IR 3 style: the initializer is also listed as an input; it is not a required feed.
  testing::add_value_info(m.mutable_graph()->mutable_input(), "bias", onnx::TensorProto::FLOAT,
                          {3});
  Session s(testing::load(m), SessionOptions{});
  ASSERT_EQ(s.input_infos().size(), 1u);
  EXPECT_EQ(s.input_infos()[0].name, "x");
  ASSERT_EQ(s.output_infos().size(), 1u);
  EXPECT_EQ(s.output_infos()[0].name, "y");
}

TEST(Session, OutputThatIsAnInitializerIsACopy) {
  onnx::ModelProto m = testing::add_relu_model();
  testing::add_value_info(m.mutable_graph()->mutable_output(), "bias", onnx::TensorProto::FLOAT,
                          {3});
  Session s(testing::load(m), SessionOptions{});
  std::map<std::string, Value> feeds;
  feeds["x"] = Value::from_tensor(Tensor(DType::kFloat32, {1, 3}));
  auto out = s.run(std::move(feeds));
  out.at("bias").tensor.data<float>()[0] = 100.0f;  // must not change the model
  EXPECT_EQ(s.model().graph.initializers.at("bias").data<float>()[0], 1.0f);
}

TEST(Session, LoadsFromFile) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("bog_session_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "m.onnx", std::ios::binary) << testing::add_relu_model().SerializeAsString();
  Session s = Session::from_file(dir / "m.onnx", SessionOptions{});
  EXPECT_EQ(s.placement().used, std::vector<std::string>{"reference"});
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bog::runtime
