// Control flow: If, Loop and Scan through a Session (subgraphs, outer scope, scan outputs), and
// the sequence and optional kernels directly.
#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "onnx_runtime/providers/reference/reference_provider.h"
#include "onnx_runtime/session.h"
#include "tests/runtime/kernel_test_util.h"
#include "tests/runtime/model_builder.h"

namespace bog::runtime {
namespace {
using testing::add_graph_attr;
using testing::add_int_attr;
using testing::add_ints_attr;
using testing::add_node;
using testing::add_value_info;

Tensor bool_scalar(bool v) {
  Tensor t(DType::kBool, {});
  t.data<uint8_t>()[0] = v ? 1 : 0;
  return t;
}

// Loop(M, cond, a) whose body doubles `a` while summing it into a scan output, and stops
// once a >= limit (limit read from the outer scope).
Session loop_session() {
  onnx::ModelProto m = testing::empty_model();
  onnx::GraphProto* g = m.mutable_graph();
  add_value_info(g->mutable_input(), "M", onnx::TensorProto::INT64, {});
  add_value_info(g->mutable_input(), "cond", onnx::TensorProto::BOOL, {});
  add_value_info(g->mutable_input(), "a", onnx::TensorProto::FLOAT, {1});
  add_value_info(g->mutable_input(), "limit", onnx::TensorProto::FLOAT, {1});
  onnx::NodeProto* loop = add_node(g, "Loop", {"M", "cond", "a"}, {"a_final", "history"}, "loop");
  onnx::GraphProto* body = add_graph_attr(loop, "body");
  add_value_info(body->mutable_input(), "i", onnx::TensorProto::INT64, {});
  add_value_info(body->mutable_input(), "c_in", onnx::TensorProto::BOOL, {});
  add_value_info(body->mutable_input(), "a_in", onnx::TensorProto::FLOAT, {1});
  add_node(body, "Add", {"a_in", "a_in"}, {"a_out"});
  add_node(body, "Less", {"a_out", "limit"}, {"c_vec"});
  add_node(body, "Squeeze", {"c_vec"}, {"c_out"});
  add_value_info(body->mutable_output(), "c_out", onnx::TensorProto::BOOL, {});
  add_value_info(body->mutable_output(), "a_out", onnx::TensorProto::FLOAT, {1});
  add_value_info(body->mutable_output(), "a_out", onnx::TensorProto::FLOAT, {1});  // scan output
  add_value_info(g->mutable_output(), "a_final", onnx::TensorProto::FLOAT, {1});
  add_value_info(g->mutable_output(), "history", onnx::TensorProto::FLOAT, {-1, 1});
  return Session(testing::load(m), SessionOptions{});
}

std::map<std::string, Value> loop_feeds(int64_t max_trips, bool cond, float a, float limit) {
  std::map<std::string, Value> f;
  f["M"] = Value::from_tensor(Tensor::from_vector<int64_t>({}, {max_trips}));
  f["cond"] = Value::from_tensor(bool_scalar(cond));
  f["a"] = Value::from_tensor(Tensor::from_vector<float>({1}, {a}));
  f["limit"] = Value::from_tensor(Tensor::from_vector<float>({1}, {limit}));
  return f;
}

TEST(ControlFlow, LoopStopsAtMaxTripCount) {
  Session s = loop_session();
  const auto out = s.run(loop_feeds(3, true, 1.0f, 1e9f));
  EXPECT_EQ(out.at("a_final").tensor.data<float>()[0], 8.0f);
  const Tensor& h = out.at("history").tensor;
  ASSERT_EQ(h.shape(), (Shape{3, 1}));
  EXPECT_EQ(h.data<float>()[0], 2.0f);
  EXPECT_EQ(h.data<float>()[2], 8.0f);
}

TEST(ControlFlow, LoopStopsWhenTheBodyConditionTurnsFalse) {
  Session s = loop_session();
  const auto out = s.run(loop_feeds(100, true, 1.0f, 20.0f));
  EXPECT_EQ(out.at("a_final").tensor.data<float>()[0], 32.0f);  // 2,4,8,16,32: 32 >= 20
  EXPECT_EQ(out.at("history").tensor.dim(0), 5);
}

TEST(ControlFlow, LoopWithFalseInitialConditionRunsZeroTimes) {
  Session s = loop_session();
  const auto out = s.run(loop_feeds(5, false, 3.0f, 100.0f));
  EXPECT_EQ(out.at("a_final").tensor.data<float>()[0], 3.0f);
  EXPECT_EQ(out.at("history").tensor.dim(0), 0);
}

// Scan computing running sums of the rows of x (forward or reverse), scan axis `axis`.
Session scan_session(int64_t direction, int64_t axis) {
  onnx::ModelProto m = testing::empty_model();
  onnx::GraphProto* g = m.mutable_graph();
  add_value_info(g->mutable_input(), "init", onnx::TensorProto::FLOAT, {-1});
  add_value_info(g->mutable_input(), "x", onnx::TensorProto::FLOAT, {-1, -1});
  onnx::NodeProto* scan = add_node(g, "Scan", {"init", "x"}, {"final", "sums"}, "scan");
  add_int_attr(scan, "num_scan_inputs", 1);
  add_ints_attr(scan, "scan_input_directions", {direction});
  add_ints_attr(scan, "scan_input_axes", {axis});
  onnx::GraphProto* body = add_graph_attr(scan, "body");
  add_value_info(body->mutable_input(), "acc", onnx::TensorProto::FLOAT, {-1});
  add_value_info(body->mutable_input(), "row", onnx::TensorProto::FLOAT, {-1});
  add_node(body, "Add", {"acc", "row"}, {"next"});
  add_node(body, "Identity", {"next"}, {"out"});
  add_value_info(body->mutable_output(), "next", onnx::TensorProto::FLOAT, {-1});
  add_value_info(body->mutable_output(), "out", onnx::TensorProto::FLOAT, {-1});
  add_value_info(g->mutable_output(), "final", onnx::TensorProto::FLOAT, {-1});
  add_value_info(g->mutable_output(), "sums", onnx::TensorProto::FLOAT, {-1, -1});
  return Session(testing::load(m), SessionOptions{});
}

TEST(ControlFlow, ScanMatchesRunningSumsInEveryDirectionAndAxis) {
  for (const int64_t direction : {0, 1}) {
    for (const int64_t axis : {0, 1, -1}) {
      for (const Shape& shape : {Shape{1, 1}, Shape{3, 5}, Shape{4, 1}, Shape{0, 2}}) {
        const uint32_t seed = static_cast<uint32_t>(direction * 100 + (axis + 1) * 10 + shape[0]);
        SCOPED_TRACE(::testing::Message() << "seed=" << seed << " dir=" << direction << " axis="
                                          << axis << " shape=" << shape_to_string(shape));
        const int64_t ax = axis < 0 ? axis + 2 : axis;
        const int64_t len = shape[static_cast<size_t>(ax)];
        const int64_t width = shape[static_cast<size_t>(1 - ax)];
        if (len == 0) continue;  // nothing to scan: covered by the loop test
        Session s = scan_session(direction, axis);
        const Tensor x = testing::random_tensor(shape, seed);
        std::map<std::string, Value> feeds;
        feeds["init"] = Value::from_tensor(Tensor(DType::kFloat32, {width}));
        feeds["x"] = Value::from_tensor(x.clone());
        const auto out = s.run(std::move(feeds));
        const Tensor& sums = out.at("sums").tensor;
        ASSERT_EQ(sums.shape(), (Shape{len, width}));
        std::vector<float> acc(static_cast<size_t>(width), 0.0f);
        for (int64_t it = 0; it < len; ++it) {
          const int64_t row = direction == 1 ? len - 1 - it : it;
          for (int64_t w = 0; w < width; ++w) {
            const int64_t idx = ax == 0 ? row * width + w : w * len + row;
            acc[static_cast<size_t>(w)] += x.data<float>()[idx];
            EXPECT_FLOAT_EQ(sums.data<float>()[it * width + w], acc[static_cast<size_t>(w)]);
          }
        }
        ASSERT_EQ(out.at("final").tensor.shape(), (Shape{width}));
        for (int64_t w = 0; w < width; ++w) {
          EXPECT_FLOAT_EQ(out.at("final").tensor.data<float>()[w], acc[static_cast<size_t>(w)]);
        }
      }
    }
  }
}

TEST(ControlFlow, IfRejectsNonBoolCondition) {
  onnx::ModelProto m = testing::empty_model();
  onnx::GraphProto* g = m.mutable_graph();
  add_value_info(g->mutable_input(), "c", onnx::TensorProto::FLOAT, {});
  onnx::NodeProto* n = add_node(g, "If", {"c"}, {"y"}, "if");
  for (const char* branch : {"then_branch", "else_branch"}) {
    onnx::GraphProto* b = add_graph_attr(n, branch);
    add_node(b, "Neg", {"c"}, {"o"});
    add_value_info(b->mutable_output(), "o", onnx::TensorProto::FLOAT, {});
  }
  add_value_info(g->mutable_output(), "y", onnx::TensorProto::FLOAT, {});
  Session s(testing::load(m), SessionOptions{});
  std::map<std::string, Value> feeds;
  feeds["c"] = Value::from_tensor(Tensor(DType::kFloat32, {}));
  EXPECT_THROW((void)s.run(std::move(feeds)), Error);
}

// --- Sequence and optional kernels, run directly --------------------------------------------

const ReferenceProvider& ref() {
  static const ReferenceProvider p;
  return p;
}

std::vector<Value> run(const Node& node, std::vector<const Value*> inputs) {
  return testing::run_node(ref(), node, inputs);
}

TEST(ControlFlow, SplitToSequenceAndConcatFromSequenceRoundTrip) {
  for (const Shape& shape : {Shape{1, 1}, Shape{7, 3}, Shape{5, 1, 2}}) {
    for (int64_t axis = 0; axis < static_cast<int64_t>(shape.size()); ++axis) {
      const uint32_t seed = static_cast<uint32_t>(shape[0] * 10 + axis);
      SCOPED_TRACE(::testing::Message()
                   << "seed=" << seed << " axis=" << axis << " shape=" << shape_to_string(shape));
      const Tensor x = testing::random_tensor(shape, seed);
      const Node split =
          testing::make_node("SplitToSequence", 2, 1, 11, {testing::int_attr("axis", axis)});
      std::vector<Value> in;
      in.push_back(Value::from_tensor(x.clone()));
      in.push_back(Value::from_tensor(Tensor::from_vector<int64_t>({}, {2})));
      auto seq = run(split, {&in[0], &in[1]});
      const int64_t dim = shape[static_cast<size_t>(axis)];
      ASSERT_EQ(static_cast<int64_t>(seq[0].sequence.size()), (dim + 1) / 2);
      const Node concat =
          testing::make_node("ConcatFromSequence", 1, 1, 11, {testing::int_attr("axis", axis)});
      auto back = run(concat, {&seq[0]});
      testing::expect_close(back[0].tensor, x, 0.0f, 0.0f);
    }
  }
}

TEST(ControlFlow, ConcatFromSequenceStacksWithNewAxis) {
  Value seq = Value::from_sequence({}, DType::kFloat32);
  seq.sequence.push_back(Tensor::from_vector<float>({3}, {1, 2, 3}));
  seq.sequence.push_back(Tensor::from_vector<float>({3}, {4, 5, 6}));
  const Node n =
      testing::make_node("ConcatFromSequence", 1, 1, 11,
                         {testing::int_attr("axis", -1), testing::int_attr("new_axis", 1)});
  const auto out = run(n, {&seq});
  ASSERT_EQ(out[0].tensor.shape(), (Shape{3, 2}));
  EXPECT_EQ(out[0].tensor.data<float>()[1], 4.0f);
}

TEST(ControlFlow, SequenceInsertEraseAtAndLength) {
  Value seq = Value::from_sequence({}, DType::kInt64);
  const Value a = Value::from_tensor(Tensor::from_vector<int64_t>({1}, {10}));
  const Value b = Value::from_tensor(Tensor::from_vector<int64_t>({2}, {20, 21}));
  const Value front = Value::from_tensor(Tensor::from_vector<int64_t>({}, {0}));
  const Value last = Value::from_tensor(Tensor::from_vector<int64_t>({}, {-1}));
  const Value out_of_range = Value::from_tensor(Tensor::from_vector<int64_t>({}, {5}));
  const Node insert = testing::make_node("SequenceInsert", 3, 1, 11);
  const Node insert_end = testing::make_node("SequenceInsert", 2, 1, 11);
  auto s1 = run(insert_end, {&seq, &a});
  auto s2 = run(insert, {&s1[0], &b, &front});  // [b, a]
  ASSERT_EQ(s2[0].sequence.size(), 2u);
  const Node at = testing::make_node("SequenceAt", 2, 1, 11);
  EXPECT_EQ(run(at, {&s2[0], &last})[0].tensor.data<int64_t>()[0], 10);
  EXPECT_THROW((void)run(at, {&s2[0], &out_of_range}), Error);
  const Node erase = testing::make_node("SequenceErase", 2, 1, 11);
  auto s3 = run(erase, {&s2[0], &front});  // [a]
  const Node length = testing::make_node("SequenceLength", 1, 1, 11);
  EXPECT_EQ(run(length, {&s3[0]})[0].tensor.data<int64_t>()[0], 1);
  EXPECT_EQ(s2[0].sequence.size(), 2u);  // inputs are never modified
}

TEST(ControlFlow, OptionalOpsSeeNoneAndSome) {
  const Value none = Value::none();
  const Value some = Value::some(Value::from_tensor(Tensor::from_vector<float>({1}, {4})));
  const Node has = testing::make_node("OptionalHasElement", 1, 1, 18);
  EXPECT_EQ(run(has, {&none})[0].tensor.data<uint8_t>()[0], 0);
  EXPECT_EQ(run(has, {&some})[0].tensor.data<uint8_t>()[0], 1);
  EXPECT_EQ(run(has, {nullptr})[0].tensor.data<uint8_t>()[0], 0);
  const Node get = testing::make_node("OptionalGetElement", 1, 1, 18);
  EXPECT_EQ(run(get, {&some})[0].tensor.data<float>()[0], 4.0f);
  EXPECT_THROW((void)run(get, {&none}), Error);
}

}  // namespace
}  // namespace bog::runtime
