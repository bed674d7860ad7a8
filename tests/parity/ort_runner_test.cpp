// The ONNX Runtime reference runner, driven from C++. Skips (saying so) when node or
// onnxruntime-node is not installed.
#include "parity/ort_runner.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/build_paths.h"
#include "common/error.h"

namespace bog::parity {
namespace {
namespace fs = std::filesystem;

// y = x + b, float32 [2, 3], b an initializer.
std::string add_model_bytes(bool broken) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  onnx::GraphProto* g = m.mutable_graph();
  g->set_name("add");
  auto add_io = [](onnx::ValueInfoProto* v, const char* name) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_value(2);
    t->mutable_shape()->add_dim()->set_dim_value(3);
  };
  add_io(g->add_input(), "x");
  add_io(g->add_output(), "y");
  onnx::TensorProto* b = g->add_initializer();
  b->set_name("b");
  b->set_data_type(onnx::TensorProto::FLOAT);
  b->add_dims(3);
  for (float v : {10.0f, 20.0f, 30.0f}) b->add_float_data(v);
  onnx::NodeProto* n = g->add_node();
  n->set_op_type(broken ? "NoSuchOp" : "Add");
  n->add_input("x");
  n->add_input("b");
  n->add_output("y");
  return m.SerializeAsString();
}

class OrtRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runner_ = OrtRunner::find();
    if (!runner_)
      GTEST_SKIP() << "ONNX Runtime reference skipped: " << OrtRunner::why_unavailable();
    dir_ = fs::temp_directory_path() / fmt::format("bog_ort_test_{}", ::getpid());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path write_model(bool broken) {
    const fs::path p = dir_ / (broken ? "broken.onnx" : "add.onnx");
    std::ofstream(p, std::ios::binary) << add_model_bytes(broken);
    return p;
  }
  std::optional<OrtRunner> runner_;
  fs::path dir_;
};

TEST_F(OrtRunnerTest, RunsAModelAndReturnsItsOutputsAndTimings) {
  const runtime::Tensor x = runtime::Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  OrtRunOptions opts;
  opts.iterations = 3;
  const OrtRunResult r = runner_->run(write_model(false), {{"x", &x}}, opts);
  EXPECT_FALSE(r.version.empty());
  EXPECT_EQ(r.provider, "cpu");
  EXPECT_EQ(r.allow_spinning, "0");
  // Its own peak resident set (VmHWM since exec): a node process, tens of MB, never this
  // test process's figure inherited through fork.
  EXPECT_GT(r.peak_rss_mb, 1.0);
  EXPECT_LT(r.peak_rss_mb, 4096.0);
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_EQ(r.output_names[0], "y");
  ASSERT_EQ(r.outputs[0].shape(), (runtime::Shape{2, 3}));
  const float* y = r.outputs[0].data<float>();
  const float want[] = {11, 22, 33, 14, 25, 36};
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(y[i], want[i]);
  EXPECT_EQ(r.latencies_ms.size(), 3u);
}

TEST_F(OrtRunnerTest, RunsManyInputSetsThroughOneSessionInOrder) {
  std::vector<runtime::Tensor> xs;
  for (int s = 0; s < 12; ++s) {  // 12 sets: set_10 must not sort before set_2
    xs.push_back(runtime::Tensor::from_vector<float>({2, 3}, {1.0f * s, 2, 3, 4, 5, -1.0f * s}));
  }
  std::vector<OrtRunner::Feeds> sets;
  for (const runtime::Tensor& x : xs) sets.push_back({{"x", &x}});
  const std::vector<OrtRunResult> r = runner_->run_sets(write_model(false), sets, {});
  ASSERT_EQ(r.size(), xs.size());
  for (size_t s = 0; s < r.size(); ++s) {
    ASSERT_EQ(r[s].outputs.size(), 1u);
    EXPECT_EQ(r[s].provider, "cpu");
    const float* y = r[s].outputs[0].data<float>();
    EXPECT_FLOAT_EQ(y[0], 10.0f + static_cast<float>(s)) << "set " << s;
    EXPECT_FLOAT_EQ(y[5], 30.0f - static_cast<float>(s)) << "set " << s;
  }
  EXPECT_TRUE(runner_->run_sets(write_model(false), {}, {}).empty());
}

TEST_F(OrtRunnerTest, AFailingSetIsAClearError) {
  const runtime::Tensor ok = runtime::Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  const runtime::Tensor wrong = runtime::Tensor::from_vector<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  try {
    (void)runner_->run_sets(write_model(false), {{{"x", &ok}}, {{"x", &wrong}}}, {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel);
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}

TEST_F(OrtRunnerTest, AModelOrtCannotLoadIsAClearError) {
  const runtime::Tensor x = runtime::Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  try {
    (void)runner_->run(write_model(true), {{"x", &x}}, OrtRunOptions{});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel);
    EXPECT_NE(std::string(e.what()).find("ONNX Runtime"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}

// ONNX Runtime's generation loop on the torch decoder fixture reproduces PyTorch's own greedy
// continuation (greedy.json), all three prompts in one left-padded batch.
TEST_F(OrtRunnerTest, GenerationLoopReproducesTorchGreedyTokens) {
  const fs::path torch = fs::path(bog::source_dir()) / "tests" / "fixtures" / "torch";
  std::ifstream in(torch / "llama_decoder" / "greedy.json");
  ASSERT_TRUE(in.good());
  const nlohmann::json g = nlohmann::json::parse(in);
  std::vector<std::vector<int64_t>> prompts, expected;
  for (const auto& c : g.at("prompts")) {
    prompts.push_back(c.at("prompt_ids").get<std::vector<int64_t>>());
    expected.push_back(c.at("tokens").get<std::vector<int64_t>>());
  }
  OrtGenerateOptions o;
  o.new_tokens = static_cast<int>(expected.front().size());
  o.allow_spinning = false;
  const OrtGenerateResult r = runner_->generate(torch / "llama_decoder.onnx", prompts, o);
  EXPECT_EQ(r.tokens, expected);
  EXPECT_EQ(r.decode_ms.size(), static_cast<size_t>(o.new_tokens - 1));
  EXPECT_EQ(r.allow_spinning, "0");
  EXPECT_EQ(r.provider, "cpu");
  EXPECT_FALSE(r.version.empty());
}

TEST_F(OrtRunnerTest, GenerationOnAGraphWithoutThePastInputsIsAClearError) {
  const fs::path torch = fs::path(bog::source_dir()) / "tests" / "fixtures" / "torch";
  OrtGenerateOptions o;
  o.new_tokens = 2;
  try {
    (void)runner_->generate(torch / "llama_gqa.onnx", {{1, 2, 3}}, o);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel);
    EXPECT_NE(std::string(e.what()).find("no input past_key_values.0.key"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace bog::parity
