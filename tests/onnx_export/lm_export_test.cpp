// Export of a decoder LM (random weights, GQA 4:2, two layers) in the optimum / ONNX Runtime
// GenAI naming: the file's inputs, outputs, axes and opset; genai_config.json; and the graph's
// logits against the Eigen model (LmEager) on the reference and cpu providers: prefill with a
// zero-length past, decode steps fed present as past, and a left-padded batch whose rows equal
// their own single runs.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/atomic_file.h"
#include "common/build_paths.h"
#include "common/error.h"
#include "model/bundle.h"
#include "model/lm/lm_eager.h"
#include "model/train/checkpoint.h"
#include "onnx_export/exporter.h"
#include "onnx_runtime/session.h"
#include "parity/ort_runner.h"

namespace bog::onnx_export {
namespace {
namespace fs = std::filesystem;
using runtime::DType;
using runtime::Tensor;

constexpr int kLayers = 2, kKv = 2, kHd = 4;

class LmExport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("bog_lm_export_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "run" / "checkpoints");
    // The shipped classifier's 16k tokenizer; the LM itself is random and tiny.
    fs::copy_file(fs::path(bog::source_dir()) / "models/agnews-tiny-llama/tokenizer.model",
                  root_ / "run" / "tokenizer.model");
    const model::ModelConfig c = model::parse_model_config(
        "architecture: tiny_llama_lm\nvocab_size: 16000\nd_model: 16\nn_layers: 2\nn_heads: 4\n"
        "n_kv_heads: 2\nd_ff: 24\nmax_len: 32\n",
        "test");
    model::TinyLlamaLm lm(c, 9);
    // Norm gains away from 1 so the export of every weight matters.
    std::mt19937_64 rng(3);
    for (model::Param* p : lm.params()) {
      if (!p->decay) {
        model::Mat noise(p->value.rows(), p->value.cols());
        model::fill_normal(noise, rng, 0.2f);
        p->value += noise;
      }
    }
    model::CheckpointState st;
    st.model_config = model::to_json(c);
    st.train_config = nlohmann::json::object();
    st.info = {{"tokenizer", "tokenizer.model"}};
    const fs::path ckpt = root_ / "run" / "checkpoints" / "best.safetensors";
    model::save_checkpoint(ckpt, lm.params(), nullptr, st);
    (void)model::write_bundle(ckpt, root_ / "bundle");
    onnx_ = root_ / "out" / "lm.onnx";
    fs::create_directories(onnx_.parent_path());
    summary_ = export_bundle(root_ / "bundle", onnx_, {});
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static runtime::Session session(const std::string& provider) {
    runtime::SessionOptions o;
    o.providers = {provider};
    o.optimize = provider != "reference";
    return runtime::Session::from_file(onnx_, o);
  }

  static inline fs::path root_, onnx_;
  static inline ExportSummary summary_;
};

std::vector<std::string> dims(const onnx::ValueInfoProto& v) {
  std::vector<std::string> out;
  for (const auto& d : v.type().tensor_type().shape().dim()) {
    out.push_back(d.has_dim_param() ? d.dim_param() : std::to_string(d.dim_value()));
  }
  return out;
}

TEST_F(LmExport, FileHasTheGenAiNamingAxesAndOpset) {
  onnx::ModelProto m;
  std::ifstream in(onnx_, std::ios::binary);
  ASSERT_TRUE(m.ParseFromIstream(&in));
  EXPECT_NO_THROW(onnx::checker::check_model(onnx_.string()));
  EXPECT_EQ(m.ir_version(), 8);
  ASSERT_EQ(m.opset_import_size(), 1);
  EXPECT_EQ(m.opset_import(0).domain(), "");
  EXPECT_EQ(m.opset_import(0).version(), 17);
  for (const auto& n : m.graph().node()) EXPECT_EQ(n.domain(), "") << n.op_type();
  const auto& g = m.graph();
  ASSERT_EQ(g.input_size(), 3 + 2 * kLayers);
  EXPECT_EQ(g.input(0).name(), "input_ids");
  EXPECT_EQ(dims(g.input(0)), (std::vector<std::string>{"batch", "sequence"}));
  EXPECT_EQ(g.input(1).name(), "attention_mask");
  EXPECT_EQ(dims(g.input(1)), (std::vector<std::string>{"batch", "total_sequence"}));
  EXPECT_EQ(g.input(2).name(), "position_ids");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(g.input(i).type().tensor_type().elem_type(), onnx::TensorProto::INT64);
  }
  EXPECT_EQ(g.input(3).name(), "past_key_values.0.key");
  EXPECT_EQ(g.input(4).name(), "past_key_values.0.value");
  EXPECT_EQ(g.input(6).name(), "past_key_values.1.value");
  EXPECT_EQ(dims(g.input(3)), (std::vector<std::string>{"batch", "2", "past_sequence", "4"}));
  ASSERT_EQ(g.output_size(), 1 + 2 * kLayers);
  EXPECT_EQ(g.output(0).name(), "logits");
  EXPECT_EQ(dims(g.output(0)), (std::vector<std::string>{"batch", "sequence", "16000"}));
  EXPECT_EQ(g.output(1).name(), "present.0.key");
  EXPECT_EQ(g.output(4).name(), "present.1.value");
  EXPECT_EQ(dims(g.output(2)), (std::vector<std::string>{"batch", "2", "total_sequence", "4"}));

  ASSERT_EQ(summary_.genai_config, onnx_.parent_path() / "genai_config.json");
  const auto cfg = nlohmann::json::parse(read_file(summary_.genai_config));
  const auto& model = cfg.at("model");
  EXPECT_EQ(model.at("type"), "llama");
  EXPECT_EQ(model.at("context_length"), 32);
  EXPECT_EQ(model.at("vocab_size"), 16000);
  EXPECT_EQ(model.at("bos_token_id"), 2);
  EXPECT_EQ(model.at("eos_token_id"), 3);
  EXPECT_EQ(model.at("pad_token_id"), 0);
  const auto& d = model.at("decoder");
  EXPECT_EQ(d.at("filename"), "lm.onnx");
  EXPECT_EQ(d.at("head_size"), 4);
  EXPECT_EQ(d.at("hidden_size"), 16);
  EXPECT_EQ(d.at("num_attention_heads"), 4);
  EXPECT_EQ(d.at("num_key_value_heads"), 2);
  EXPECT_EQ(d.at("num_hidden_layers"), 2);
  EXPECT_EQ(d.at("inputs").at("past_key_names"), "past_key_values.%d.key");
  EXPECT_EQ(d.at("outputs").at("present_value_names"), "present.%d.value");
  EXPECT_EQ(cfg.at("search").at("max_length"), 32);
}

// Feeds in graph-input order: ids/mask/positions [B, n] and the given past (empty: zero-length).
std::vector<Tensor> feeds(const std::vector<int64_t>& ids, const std::vector<int64_t>& mask,
                          const std::vector<int64_t>& pos, int64_t batch,
                          std::vector<Tensor>* past) {
  std::vector<Tensor> in;
  const int64_t n = static_cast<int64_t>(ids.size()) / batch;
  in.push_back(Tensor::from_vector<int64_t>({batch, n}, ids));
  in.push_back(
      Tensor::from_vector<int64_t>({batch, static_cast<int64_t>(mask.size()) / batch}, mask));
  in.push_back(Tensor::from_vector<int64_t>({batch, n}, pos));
  for (int i = 0; i < 2 * kLayers; ++i) {
    if (past != nullptr && !past->empty()) {
      in.push_back(std::move((*past)[static_cast<size_t>(i)]));
    } else {
      in.emplace_back(DType::kFloat32, runtime::Shape{batch, kKv, 0, kHd});
    }
  }
  return in;
}

// Moves outputs 1.. (the presents) into the next step's past.
std::vector<Tensor> presents(std::vector<Tensor>& out) {
  std::vector<Tensor> past;
  for (size_t i = 1; i < out.size(); ++i) past.push_back(std::move(out[i]));
  return past;
}

// max |logits[b, t, :] - want| for a [1, vocab] or one row of a matrix.
float row_diff(const Tensor& logits, int64_t b, int64_t t, const model::RowVec& want) {
  const int64_t seq = logits.shape()[1], vocab = logits.shape()[2];
  const float* p = logits.data<float>() + (b * seq + t) * vocab;
  float worst = 0;
  for (int64_t j = 0; j < vocab; ++j) worst = std::max(worst, std::abs(p[j] - want(j)));
  return worst;
}

TEST_F(LmExport, PrefillAndDecodeStepsMatchTheEigenModel) {
  model::LoadedLmBundle b = model::load_lm_bundle(root_ / "bundle");
  const std::vector<int> prompt = {2, 517, 88, 4021, 9, 15001};
  const std::vector<int> next = {77, 3000, 12};
  for (const std::string provider : {"reference", "cpu"}) {
    SCOPED_TRACE(provider);
    model::LmEager eager(*b.model);
    const model::Mat want = eager.prefill(prompt);
    runtime::Session s = session(provider);
    std::vector<int64_t> ids(prompt.begin(), prompt.end()), mask(prompt.size(), 1), pos;
    for (size_t i = 0; i < prompt.size(); ++i) pos.push_back(static_cast<int64_t>(i));
    std::vector<Tensor> out;
    s.run(feeds(ids, mask, pos, 1, nullptr), out);
    ASSERT_EQ(out.size(), 1u + 2 * kLayers);
    ASSERT_EQ(out[0].shape(), (runtime::Shape{1, 6, 16000}));
    EXPECT_EQ(out[1].shape(), (runtime::Shape{1, kKv, 6, kHd}));
    for (int64_t t = 0; t < 6; ++t) EXPECT_LT(row_diff(out[0], 0, t, want.row(t)), 1e-4f) << t;
    for (size_t k = 0; k < next.size(); ++k) {
      const model::RowVec step = eager.step(next[k]);
      std::vector<Tensor> past = presents(out);
      mask.push_back(1);
      const int64_t p = static_cast<int64_t>(prompt.size() + k);
      s.run(feeds({next[k]}, mask, {p}, 1, &past), out);
      ASSERT_EQ(out[0].shape(), (runtime::Shape{1, 1, 16000}));
      EXPECT_EQ(out[3].shape(), (runtime::Shape{1, kKv, p + 1, kHd}));
      EXPECT_LT(row_diff(out[0], 0, 0, step), 1e-4f) << "step " << k;
    }
  }
}

TEST_F(LmExport, LeftPaddedBatchRowsEqualTheirOwnRuns) {
  model::LoadedLmBundle b = model::load_lm_bundle(root_ / "bundle");
  const std::vector<int> a = {2, 40, 41, 42, 43, 44}, c = {2, 900, 901};
  model::LmEager ea(*b.model), ec(*b.model);
  const model::Mat wa = ea.prefill(a), wc = ec.prefill(c);
  for (const std::string provider : {"reference", "cpu"}) {
    SCOPED_TRACE(provider);
    runtime::Session s = session(provider);
    // Row 1 is left-padded by 3: pad id 0, mask 0, positions 0 there (as optimum writes them).
    const std::vector<int64_t> ids = {2, 40, 41, 42, 43, 44, 0, 0, 0, 2, 900, 901};
    std::vector<int64_t> mask = {1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1};
    const std::vector<int64_t> pos = {0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 1, 2};
    std::vector<Tensor> out;
    s.run(feeds(ids, mask, pos, 2, nullptr), out);
    for (int64_t t = 0; t < 6; ++t) EXPECT_LT(row_diff(out[0], 0, t, wa.row(t)), 1e-4f);
    for (int64_t t = 0; t < 3; ++t) EXPECT_LT(row_diff(out[0], 1, 3 + t, wc.row(t)), 1e-4f);
    // One decode step for both rows: the pads stay masked in the past.
    model::LmEager sa(*b.model), sc(*b.model);
    (void)sa.prefill(a);
    (void)sc.prefill(c);
    const model::RowVec step_a = sa.step(7), step_c = sc.step(8);
    std::vector<Tensor> past = presents(out);
    mask = {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1};
    s.run(feeds({7, 8}, mask, {6, 3}, 2, &past), out);
    EXPECT_LT(row_diff(out[0], 0, 0, step_a), 1e-4f);
    EXPECT_LT(row_diff(out[0], 1, 0, step_c), 1e-4f);
  }
}

// ONNX Runtime runs the file unchanged: a left-padded prefill, then a step fed its own present.
TEST_F(LmExport, OnnxRuntimeRunsItWithPresentFedBackAsPast) {
  const auto ort = parity::OrtRunner::find();
  if (!ort)
    GTEST_SKIP() << "ONNX Runtime reference skipped: " << parity::OrtRunner::why_unavailable();
  model::LoadedLmBundle b = model::load_lm_bundle(root_ / "bundle");
  const std::vector<int> a = {2, 40, 41, 42}, c = {2, 900};
  model::LmEager ea(*b.model), ec(*b.model);
  const model::Mat wa = ea.prefill(a), wc = ec.prefill(c);
  const model::RowVec sa = ea.step(7), sc = ec.step(8);
  std::vector<std::string> names = {"input_ids", "attention_mask", "position_ids"};
  for (int i = 0; i < kLayers; ++i) {
    for (const char* kind : {"key", "value"}) {
      names.push_back(fmt::format("past_key_values.{}.{}", i, kind));
    }
  }
  std::vector<Tensor> in = feeds({2, 40, 41, 42, 0, 0, 2, 900}, {1, 1, 1, 1, 0, 0, 1, 1},
                                 {0, 1, 2, 3, 0, 0, 0, 1}, 2, nullptr);
  parity::OrtRunner::Feeds f;
  for (size_t i = 0; i < in.size(); ++i) f.emplace_back(names[i], &in[i]);
  parity::OrtRunResult r = ort->run(onnx_, f, {});
  ASSERT_EQ(r.outputs.size(), 1u + 2 * kLayers);
  for (int64_t t = 0; t < 4; ++t) EXPECT_LT(row_diff(r.outputs[0], 0, t, wa.row(t)), 1e-4f);
  for (int64_t t = 0; t < 2; ++t) EXPECT_LT(row_diff(r.outputs[0], 1, 2 + t, wc.row(t)), 1e-4f);
  std::vector<Tensor> past = presents(r.outputs);
  std::vector<Tensor> in2 = feeds({7, 8}, {1, 1, 1, 1, 1, 0, 0, 1, 1, 1}, {4, 2}, 2, &past);
  f.clear();
  for (size_t i = 0; i < in2.size(); ++i) f.emplace_back(names[i], &in2[i]);
  r = ort->run(onnx_, f, {});
  EXPECT_LT(row_diff(r.outputs[0], 0, 0, sa), 1e-4f);
  EXPECT_LT(row_diff(r.outputs[0], 1, 0, sc), 1e-4f);
}

TEST_F(LmExport, ClassifierCommandsRefuseAnLmBundleWithOneClearError) {
  try {
    (void)model::load_bundle(root_ / "bundle");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tiny_llama_lm"), std::string::npos) << e.what();
  }
  EXPECT_THROW(
      (void)model::load_lm_bundle(fs::path(bog::source_dir()) / "models/agnews-tiny-llama"), Error);
}

}  // namespace
}  // namespace bog::onnx_export
