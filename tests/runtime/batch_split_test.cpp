// Batch splitting: the analysis accepts graphs whose samples stay apart and names the node
// that mixes them otherwise; a split run gives the whole batch's outputs (to float rounding); a
// split the analysis could not foresee failing falls back to the whole batch and stops splitting.
// With several threads the batch runs as one part per thread (lanes): same outputs, same
// fallback, and a bad input still fails with its own error.
#include "onnx_runtime/batch_split.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "common/error.h"
#include "onnx_runtime/session.h"
#include "tests/runtime/model_builder.h"

namespace bog::runtime {
namespace {

using testing::add_float_initializer;
using testing::add_int_attr;
using testing::add_ints_attr;
using testing::add_node;
using testing::add_value_info;
using testing::empty_model;

constexpr int32_t kFloat = onnx::TensorProto::FLOAT;
// A chunk's GEMM may take another edge-tile path than the whole batch's (and an -O2 build may
// contract its multiply-adds differently there): the outputs agree to float rounding. The
// Release build's kernels give bit-identical rows; a wrong row would be off by far more.
constexpr float kUlps = 1e-6f;

// x [N, 3] -> MatMul W [3, 5] -> + b -> Softmax(-1) -> ReduceMean over axis 1 (keepdims) -> y [N,
// 1]
onnx::ModelProto separable_model() {
  onnx::ModelProto m = empty_model();
  onnx::GraphProto* g = m.mutable_graph();
  add_value_info(g->mutable_input(), "x", kFloat, {-1, 3});
  std::vector<float> w(15);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 0.1f * static_cast<float>(i) - 0.7f;
  add_float_initializer(g, "w", {3, 5}, w);
  add_float_initializer(g, "b", {5}, {0.1f, -0.2f, 0.3f, 0.0f, 0.5f});
  add_node(g, "MatMul", {"x", "w"}, {"xw"});
  add_node(g, "Add", {"xw", "b"}, {"z"});
  add_int_attr(add_node(g, "Softmax", {"z"}, {"p"}), "axis", -1);
  onnx::NodeProto* r = add_node(g, "ReduceMax", {"p"}, {"y"});
  add_ints_attr(r, "axes", {1});
  add_value_info(g->mutable_output(), "y", kFloat, {-1, 1});
  return m;
}

// x [N, 3] -> one op -> y
onnx::ModelProto one_op_model(const std::string& op,
                              const std::function<void(onnx::NodeProto*)>& attrs,
                              std::vector<int64_t> input_dims = {-1, 3}) {
  onnx::ModelProto m = empty_model();
  onnx::GraphProto* g = m.mutable_graph();
  add_value_info(g->mutable_input(), "x", kFloat, input_dims);
  attrs(add_node(g, op, {"x"}, {"y"}, "the_op"));
  onnx::ValueInfoProto* out = g->add_output();
  out->set_name("y");
  testing::set_type(out, kFloat, {});
  auto* shape = out->mutable_type()->mutable_tensor_type()->mutable_shape();
  shape->add_dim();  // rank 2, sizes unknown
  shape->add_dim();
  return m;
}

BatchSplitCheck check(const onnx::ModelProto& m) {
  return check_batch_split(testing::load(m).graph);
}

Tensor random_rows(int64_t n, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  Tensor t(DType::kFloat32, {n, cols});
  for (float& v : t.span<float>()) v = u(rng);
  return t;
}

TEST(BatchSplit, AcceptsRowWiseGraphs) {
  const BatchSplitCheck c = check(separable_model());
  EXPECT_TRUE(c.separable) << c.reason;
  EXPECT_TRUE(check(testing::add_relu_model()).separable);
}

TEST(BatchSplit, NamesTheNodeThatMixesSamples) {
  const auto reduce_batch =
      one_op_model("ReduceMean", [](onnx::NodeProto* n) { add_ints_attr(n, "axes", {0}); });
  const auto reduce_all = one_op_model("ReduceMean", [](onnx::NodeProto*) {});
  const auto transpose = one_op_model("Transpose", [](onnx::NodeProto* n) {
    add_ints_attr(n, "perm", {1, 0});
  });
  const auto softmax_batch =
      one_op_model("Softmax", [](onnx::NodeProto* n) { add_int_attr(n, "axis", 0); });
  const auto fixed_batch = one_op_model("Relu", [](onnx::NodeProto*) {}, {4, 3});
  const std::vector<std::pair<const onnx::ModelProto*, std::string>> cases = {
      {&reduce_batch, "reduces across the batch"},
      {&reduce_all, "reduces every axis"},
      {&transpose, "moves the batch axis"},
      {&softmax_batch, "normalises across the batch"},
      {&fixed_batch, "no symbolic leading dimension"}};
  for (const auto& [model, why] : cases) {
    const BatchSplitCheck c = check(*model);
    EXPECT_FALSE(c.separable) << why;
    EXPECT_NE(c.reason.find(why), std::string::npos) << c.reason;
  }
  // Dynamic quantization takes one scale over the whole batch.
  onnx::ModelProto dq = empty_model();
  onnx::GraphProto* g = dq.mutable_graph();
  add_value_info(g->mutable_input(), "x", kFloat, {-1, 3});
  add_node(g, "DynamicQuantizeLinear", {"x"}, {"q", "scale", "zp"}, "dq");
  add_node(g, "DequantizeLinear", {"q", "scale", "zp"}, {"y"});
  add_value_info(g->mutable_output(), "y", kFloat, {-1, 3});
  const BatchSplitCheck c = check(dq);
  EXPECT_FALSE(c.separable);
  EXPECT_NE(c.reason.find("'dq'"), std::string::npos) << c.reason;
}

// y = x + c with c [6, 3] (c[i] = i): valid only for a batch of 6 (or 1), which the analysis
// cannot know: it takes c's rows for a broadcast.
onnx::ModelProto plus_six_rows_model() {
  onnx::ModelProto m = empty_model();
  onnx::GraphProto* g = m.mutable_graph();
  add_value_info(g->mutable_input(), "x", kFloat, {-1, 3});
  std::vector<float> c(18);
  for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<float>(i);
  add_float_initializer(g, "c", {6, 3}, c);
  add_node(g, "Add", {"x", "c"}, {"y"});
  add_value_info(g->mutable_output(), "y", kFloat, {-1, 3});
  return m;
}

Session session(const onnx::ModelProto& m, int chunk, int threads = 1) {
  SessionOptions o;
  o.providers = {"cpu"};
  o.batch_chunk = chunk;
  o.threads = threads;
  return Session(testing::load(m), o);
}

// A batch of 6 through plus_six_rows_model: y = x + c.
void expect_six_rows_right(Session& s) {
  std::vector<Tensor> in;
  in.push_back(random_rows(6, 3, 5));
  std::vector<Tensor> out;
  s.run(in, out);
  ASSERT_EQ(out[0].shape(), (Shape{6, 3}));
  for (int64_t i = 0; i < 18; ++i) {
    EXPECT_EQ(out[0].data<float>()[i], in[0].data<float>()[i] + static_cast<float>(i));
  }
}

TEST(BatchSplit, SplitRunsGiveTheWholeBatchOutputs) {
  Session whole = session(separable_model(), 0);
  ASSERT_TRUE(whole.optimization_report().batch_split);
  for (const int64_t batch : {1, 2, 7, 16}) {
    const Tensor x = random_rows(batch, 3, static_cast<uint32_t>(batch));
    std::vector<Tensor> in;
    in.push_back(x.clone());
    std::vector<Tensor> want;
    whole.run(in, want);
    for (const int chunk : {1, 2, 3, 5, -1}) {
      SCOPED_TRACE(::testing::Message() << "batch " << batch << " chunk " << chunk);
      Session split = session(separable_model(), chunk);
      for (int rep = 0; rep < 3; ++rep) {  // recording, planned, planned again
        std::vector<Tensor> got;
        split.run(in, got);
        ASSERT_EQ(got[0].shape(), want[0].shape());
        for (int64_t i = 0; i < got[0].numel(); ++i) {
          ASSERT_NEAR(got[0].data<float>()[i], want[0].data<float>()[i], kUlps) << "row " << i;
        }
      }
      std::map<std::string, Value> feeds;
      feeds.emplace("x", Value::from_tensor(x.clone()));
      const auto out = split.run(std::move(feeds));
      const Tensor& y = out.at("y").tensor;
      for (int64_t i = 0; i < y.numel(); ++i)
        ASSERT_NEAR(y.data<float>()[i], want[0].data<float>()[i], kUlps);
      EXPECT_TRUE(split.optimization_report().batch_split);
    }
  }
}

TEST(BatchSplit, AGraphWithNothingToPlanRunsWhole) {
  // x -> Identity -> y: the output is a view of the input, the arena is empty, and there is
  // nothing to keep in cache: after the one-sample sizing run the rest runs whole, and
  // splitting stays on (this is not a failure).
  const auto identity = one_op_model("Identity", [](onnx::NodeProto*) {});
  Session s = session(identity, -1);
  ASSERT_TRUE(s.optimization_report().batch_split) << s.optimization_report().batch_split_reason;
  std::vector<Tensor> in;
  in.push_back(random_rows(5, 3, 9));
  for (int rep = 0; rep < 2; ++rep) {
    std::vector<Tensor> out;
    s.run(in, out);
    ASSERT_EQ(out[0].shape(), (Shape{5, 3}));
    for (int64_t i = 0; i < 15; ++i) EXPECT_EQ(out[0].data<float>()[i], in[0].data<float>()[i]);
  }
  EXPECT_TRUE(s.optimization_report().batch_split) << s.optimization_report().batch_split_reason;
}

TEST(BatchSplit, AFailedSplitRunFallsBackToTheWholeBatch) {
  // y = x + c with c [6, 3]: valid only for a batch of 6 (or 1). The analysis cannot know c's
  // rows follow the batch; chunks of 2 fail, the session runs the 6 rows whole and stops splitting.
  Session s = session(plus_six_rows_model(), 2);
  ASSERT_TRUE(s.optimization_report().batch_split);
  expect_six_rows_right(s);
  EXPECT_FALSE(s.optimization_report().batch_split);
  EXPECT_NE(s.optimization_report().batch_split_reason.find("a split run failed"),
            std::string::npos);
}

TEST(BatchLanes, LanesGiveTheWholeBatchOutputs) {
  Session whole = session(separable_model(), 0);
  for (const int threads : {2, 3}) {
    for (const int chunk : {-1, 2}) {
      Session lanes = session(separable_model(), chunk, threads);
      ASSERT_EQ(lanes.optimization_report().batch_lanes, threads);
      for (const int64_t batch : {1, 2, 3, 7, 16}) {
        SCOPED_TRACE(::testing::Message()
                     << threads << " threads, chunk " << chunk << ", batch " << batch);
        std::vector<Tensor> in;
        in.push_back(random_rows(batch, 3, static_cast<uint32_t>(batch + 40)));
        std::vector<Tensor> want;
        whole.run(in, want);
        for (int rep = 0; rep < 3; ++rep) {  // the lanes' recording, planned, planned again
          std::vector<Tensor> got;
          lanes.run(in, got);
          ASSERT_EQ(got[0].shape(), want[0].shape());
          for (int64_t i = 0; i < got[0].numel(); ++i) {
            ASSERT_NEAR(got[0].data<float>()[i], want[0].data<float>()[i], kUlps) << "row " << i;
          }
        }
      }
      EXPECT_EQ(lanes.optimization_report().batch_lanes, threads);
    }
  }
  // One thread, or splitting off: no lanes.
  EXPECT_EQ(session(separable_model(), -1, 1).optimization_report().batch_lanes, 0);
  EXPECT_EQ(session(separable_model(), 0, 2).optimization_report().batch_lanes, 0);
}

TEST(BatchLanes, ABadInputFailsWithItsOwnErrorAndLanesStayOn) {
  Session s = session(separable_model(), -1, 2);
  std::vector<Tensor> in;
  in.push_back(random_rows(6, 4, 3));  // 4 columns where the graph takes 3
  std::vector<Tensor> out;
  EXPECT_THROW(s.run(in, out), Error);
  EXPECT_EQ(s.optimization_report().batch_lanes, 2);
  in[0] = random_rows(6, 3, 3);
  s.run(in, out);
  EXPECT_EQ(out[0].shape(), (Shape{6, 1}));
}

TEST(BatchLanes, AFailedLaneRunFallsBackToTheWholeBatch) {
  // y = x + c with c [6, 3]: lanes of 3 rows fail, the whole batch of 6 works.
  Session s = session(plus_six_rows_model(), -1, 2);
  ASSERT_EQ(s.optimization_report().batch_lanes, 2);
  expect_six_rows_right(s);
  EXPECT_EQ(s.optimization_report().batch_lanes, 0);
  EXPECT_NE(s.optimization_report().batch_split_reason.find("a lane run failed"),
            std::string::npos);
}

// x [N, 4, 8] -> (+ c [4, 4, 8] when with_add) -> dynamically quantized MatMuls in the form
// ONNX Runtime's quantizer writes (DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul by
// X_scale * W_scale), which the cpu provider fuses into DynamicQuantizeMatMul: two that share a
// DynamicQuantizeLinear, added, then one more -> y [N, 4, 5].
onnx::ModelProto int8_model(bool with_add) {
  onnx::ModelProto m = empty_model();
  onnx::GraphProto* g = m.mutable_graph();
  add_value_info(g->mutable_input(), "x", kFloat, {-1, 4, 8});
  const auto int8_weight = [&](const std::string& name, int64_t k, int64_t n) {
    onnx::TensorProto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT8);
    t->add_dims(k);
    t->add_dims(n);
    for (int64_t i = 0; i < k * n; ++i)
      t->add_int32_data(static_cast<int32_t>((i * 37) % 255) - 127);
  };
  std::string x = "x";
  if (with_add) {
    std::vector<float> c(4 * 4 * 8);
    for (size_t i = 0; i < c.size(); ++i) c[i] = 0.01f * static_cast<float>(i);
    add_float_initializer(g, "c", {4, 4, 8}, c);
    add_node(g, "Add", {"x", "c"}, {"xc"});
    x = "xc";
  }
  const auto quantize = [&](const std::string& in, const std::string& tag) {
    add_node(g, "DynamicQuantizeLinear", {in}, {"q" + tag, "s" + tag, "zp" + tag});
  };
  // MatMulInteger -> Cast -> Mul by the scale of DynamicQuantizeLinear `q`.
  const auto int8_matmul = [&](const std::string& q, const std::string& tag, int64_t k, int64_t n,
                               const std::string& out) {
    int8_weight("w" + tag, k, n);
    std::vector<float> ws(static_cast<size_t>(n));
    for (size_t i = 0; i < ws.size(); ++i) ws[i] = 0.002f * static_cast<float>(i + 1);
    add_float_initializer(g, "ws" + tag, {n}, ws);
    add_node(g, "MatMulInteger", {"q" + q, "w" + tag, "zp" + q}, {"acc" + tag});
    add_int_attr(add_node(g, "Cast", {"acc" + tag}, {"f" + tag}), "to", onnx::TensorProto::FLOAT);
    add_node(g, "Mul", {"s" + q, "ws" + tag}, {"scale" + tag});
    add_node(g, "Mul", {"f" + tag, "scale" + tag}, {out});
  };
  // Two MatMuls share the first quantization (as q/k/v do): it stays a node of its own.
  quantize(x, "1");
  int8_matmul("1", "1a", 8, 6, "ha");
  int8_matmul("1", "1b", 8, 6, "hb");
  add_node(g, "Add", {"ha", "hb"}, {"h"});
  quantize("h", "2");
  int8_matmul("2", "2", 6, 5, "y");
  add_value_info(g->mutable_output(), "y", kFloat, {-1, 4, 5});
  return m;
}

// Sample i scaled by (i + 1)^2: each lane's own min/max would give it another scale.
Tensor spread_samples(int64_t n, uint32_t seed) {
  const Tensor rows = random_rows(n, 32, seed);
  Tensor t(DType::kFloat32, {n, 4, 8});
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < 32; ++j) {
      t.data<float>()[i * 32 + j] =
          rows.data<float>()[i * 32 + j] * static_cast<float>((i + 1) * (i + 1));
    }
  }
  return t;
}

TEST(BatchLanes, DynamicQuantizationRunsInLanesThatShareTheWholeBatchScale) {
  // The ONNX ops themselves do not split (DynamicQuantizeLinear); the cpu provider's fused
  // DynamicQuantizeMatMul does, in lanes.
  EXPECT_FALSE(check(int8_model(false)).separable);
  SessionOptions ro;
  ro.providers = {"reference"};
  Session reference(testing::load(int8_model(false)), ro);
  for (const int threads : {2, 3}) {
    Session lanes = session(int8_model(false), -1, threads);
    const auto& report = lanes.optimization_report();
    ASSERT_EQ(report.batch_lanes, threads);
    EXPECT_FALSE(report.batch_split);  // no chunks one after another
    EXPECT_NE(report.batch_split_reason.find("DynamicQuantizeMatMul"), std::string::npos)
        << report.batch_split_reason;
    for (const int64_t batch : {1, 2, 3, 7, 16}) {
      SCOPED_TRACE(::testing::Message() << threads << " threads, batch " << batch);
      std::vector<Tensor> in;
      in.push_back(spread_samples(batch, static_cast<uint32_t>(batch + 90)));
      std::vector<Tensor> want;
      reference.run(in, want);
      for (int rep = 0; rep < 3; ++rep) {
        std::vector<Tensor> got;
        lanes.run(in, got);
        ASSERT_EQ(got[0].shape(), want[0].shape());
        for (int64_t i = 0; i < got[0].numel(); ++i) {
          ASSERT_EQ(got[0].data<float>()[i], want[0].data<float>()[i]) << "element " << i;
        }
      }
    }
    EXPECT_EQ(lanes.optimization_report().batch_lanes, threads);
  }
}

TEST(BatchLanes, ALaneThatFailsBeforeTheSharedScaleDoesNotLeaveTheOthersWaiting) {
  // x + c with c [4, 4, 8]: a batch of 7 in 2 lanes is 4 + 3 samples; the 3-sample lane fails
  // at the Add while the other waits for it at the first quantization. The whole batch of 7
  // fails too, with its own error; a batch of 4 (lanes of 2: both fail) runs whole.
  Session s = session(int8_model(true), -1, 2);
  ASSERT_EQ(s.optimization_report().batch_lanes, 2);
  std::vector<Tensor> in;
  in.push_back(spread_samples(7, 3));
  std::vector<Tensor> out;
  EXPECT_THROW(s.run(in, out), Error);
  in[0] = spread_samples(4, 4);
  s.run(in, out);
  EXPECT_EQ(out[0].shape(), (Shape{4, 4, 5}));
}

}  // namespace
}  // namespace bog::runtime
