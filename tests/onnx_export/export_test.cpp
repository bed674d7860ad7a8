// Export of both architectures from small trained bundles: every file passes the checker, has
// dynamic batch/sequence axes, carries the metadata, uses only standard ops in the torch forms,
// and matches the Eigen model on the interpreter's providers. A perturbed initializer must fail
// parity, so the gate is shown to be able to fail.
#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "common/atomic_file.h"
#include "common/error.h"
#include "model/bundle.h"
#include "model/train/trainer.h"
#include "onnx_export/exporter.h"
#include "parity/model_parity.h"
#include "tests/cli/cli_test_util.h"
#include "tests/common/topic_data.h"

namespace bog::onnx_export {
namespace {
namespace fs = std::filesystem;

// One small bundle per model config, trained for one epoch on topic-word data (a few seconds).
class ExportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("bog_export_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    test_data::write_topic_csvs(root_ / "data", 80, 16, 5);
    write_file_atomic(root_ / "train.yaml",
                      "epochs: 1\nbatch_size: 8\nlr: 0.01\nwarmup_steps: 1\nvalid_fraction: 0.2\n"
                      "checkpoint_every: 100\nkeep_last: 1\nlog_every: 100\nthreads: 1\n");
    // GQA 4:2 with two layers; and the encoder with the tanh GELU and three layers.
    train("tiny",
          "architecture: tiny_llama\nvocab_size: 40\nd_model: 16\nn_layers: 2\nn_heads: 4\n"
          "n_kv_heads: 2\nd_ff: 20\nmax_len: 24\ndropout: 0.0\n");
    train("modern",
          "architecture: modern_encoder\nvocab_size: 40\nd_model: 12\nn_layers: 3\nn_heads: 3\n"
          "n_kv_heads: 3\nd_ff: 18\nmax_len: 24\nnorm: layernorm\npositions: learned\n"
          "mlp: gelu_tanh\ncausal: false\npooling: cls\nbias: true\nprepend_cls: true\n"
          "dropout: 0.0\n");
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static void train(const std::string& name, const std::string& model_yaml) {
    write_file_atomic(root_ / (name + ".yaml"), model_yaml);
    model::TrainOptions o;
    o.model_config = root_ / (name + ".yaml");
    o.train_config = root_ / "train.yaml";
    o.data_dir = root_ / "data";
    o.out_dir = root_ / ("run_" + name);
    o.command = "test";
    o.quiet = true;
    const model::TrainSummary s = model::run_training(o);
    (void)model::write_bundle(s.best_checkpoint, bundle(name));
  }

  static fs::path bundle(const std::string& name) { return root_ / ("bundle_" + name); }

  static onnx::ModelProto read_model(const fs::path& file) {
    onnx::ModelProto m;
    std::ifstream in(file, std::ios::binary);
    EXPECT_TRUE(m.ParseFromIstream(&in)) << file;
    return m;
  }

  static parity::ParityReport parity_of(const std::string& name, const fs::path& onnx,
                                        std::vector<std::string> providers) {
    parity::ParityRequest r;
    r.bundle = bundle(name);
    r.onnx = onnx;
    r.providers = std::move(providers);
    r.samples = 12;
    r.batch_sizes = {1, 5};
    return parity::run_model_parity(r);
  }

  static inline fs::path root_;
};

std::map<std::string, std::string> metadata(const onnx::ModelProto& m) {
  std::map<std::string, std::string> out;
  for (const auto& p : m.metadata_props()) out[p.key()] = p.value();
  return out;
}

std::vector<std::string> dims(const onnx::ValueInfoProto& v) {
  std::vector<std::string> out;
  for (const auto& d : v.type().tensor_type().shape().dim()) {
    out.push_back(d.has_dim_param() ? d.dim_param() : std::to_string(d.dim_value()));
  }
  return out;
}

std::set<std::string> op_types(const onnx::ModelProto& m) {
  std::set<std::string> out;
  for (const auto& n : m.graph().node()) out.insert(n.op_type());
  return out;
}

TEST_F(ExportTest, BothArchitecturesPassTheCheckerWithDynamicAxesAndMetadata) {
  for (const std::string name : {"tiny", "modern"}) {
    SCOPED_TRACE(name);
    const fs::path file = root_ / (name + ".onnx");
    const ExportSummary s = export_bundle(bundle(name), file, {});
    EXPECT_GT(s.nodes, 0);
    EXPECT_TRUE(s.data_file.empty());
    const onnx::ModelProto m = read_model(file);
    // What the file on disk holds, judged again here: checker plus strict shape inference.
    EXPECT_NO_THROW(onnx::checker::check_model(file.string()));
    onnx::ModelProto inferred = m;
    onnx::ShapeInferenceOptions strict;
    strict.check_type = true;
    strict.error_mode = 1;
    EXPECT_NO_THROW(
        onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(), strict));
    EXPECT_EQ(m.ir_version(), 8);
    ASSERT_EQ(m.opset_import_size(), 1);
    EXPECT_EQ(m.opset_import(0).domain(), "");
    EXPECT_EQ(m.opset_import(0).version(), 17);
    ASSERT_EQ(m.graph().input_size(), 2);
    EXPECT_EQ(m.graph().input(0).name(), "input_ids");
    EXPECT_EQ(m.graph().input(1).name(), "attention_mask");
    for (const auto& in : m.graph().input()) {
      EXPECT_EQ(in.type().tensor_type().elem_type(), onnx::TensorProto::INT64);
      EXPECT_EQ(dims(in), (std::vector<std::string>{"batch", "sequence"}));
    }
    ASSERT_EQ(m.graph().output_size(), 1);
    EXPECT_EQ(m.graph().output(0).name(), "logits");
    EXPECT_EQ(dims(m.graph().output(0)), (std::vector<std::string>{"batch", "4"}));
    for (const auto& n : m.graph().node()) EXPECT_EQ(n.domain(), "") << n.op_type();

    const auto meta = metadata(m);
    const model::LoadedBundle b = model::load_bundle(bundle(name));
    EXPECT_EQ(meta.at("architecture"), b.config.architecture);
    EXPECT_EQ(meta.at("exporter_version"), kExporterVersion);
    EXPECT_EQ(meta.at("bundle_sha256").size(), 64u);
    EXPECT_EQ(meta.at("tokenizer_sha256"),
              b.manifest["files"]["tokenizer.model"]["sha256"].get<std::string>());
    EXPECT_NE(meta.at("label_map").find("Sci/Tech"), std::string::npos) << meta.at("label_map");
  }
}

TEST_F(ExportTest, GraphsUseTheTorchForms) {
  (void)export_bundle(bundle("tiny"), root_ / "tiny_forms.onnx", {});
  const auto tiny = op_types(read_model(root_ / "tiny_forms.onnx"));
  // RMSNorm as Pow/ReduceMean/Add/Sqrt/Div/Mul, rotary as Slice/Neg/Concat, SwiGLU via Sigmoid.
  for (const char* op : {"Gather", "Pow", "ReduceMean", "Sqrt", "Div", "Slice", "Neg", "Concat",
                         "Sigmoid", "Softmax", "MatMul"}) {
    EXPECT_TRUE(tiny.count(op)) << "tiny_llama export lacks " << op;
  }
  EXPECT_FALSE(tiny.count("LayerNormalization"));

  (void)export_bundle(bundle("modern"), root_ / "modern_forms.onnx", {});
  const auto modern = op_types(read_model(root_ / "modern_forms.onnx"));
  for (const char* op : {"Gather", "LayerNormalization", "Tanh", "Softmax", "MatMul"}) {
    EXPECT_TRUE(modern.count(op)) << "modern export lacks " << op;
  }
  EXPECT_FALSE(modern.count("Erf")) << "gelu_tanh must not export the erf form";
}

TEST_F(ExportTest, ExportsMatchTheEagerModelOnTheInterpreter) {
  for (const std::string name : {"tiny", "modern"}) {
    SCOPED_TRACE(name);
    const fs::path file = root_ / (name + "_parity.onnx");
    (void)export_bundle(bundle(name), file, {});
    const parity::ParityReport r = parity_of(name, file, {"reference", "cpu"});
    EXPECT_TRUE(r.passed);
    ASSERT_EQ(r.results.size(), 2u);
    for (const auto& p : r.results) {
      EXPECT_TRUE(p.passed) << p.provider_requested << ": " << p.error;
      EXPECT_EQ(p.provider_used, p.provider_requested);
      EXPECT_LE(p.comparison.max_abs_diff, 1e-4);
      EXPECT_EQ(p.comparison.argmax_agreement, 1.0);
      EXPECT_EQ(p.comparison.rows, 24);  // 12 texts at each of the two batch sizes
    }
  }
}

TEST_F(ExportTest, APerturbedInitializerFailsParity) {
  const fs::path good = root_ / "tiny_good.onnx";
  (void)export_bundle(bundle("tiny"), good, {});
  onnx::ModelProto m = read_model(good);
  // The classifier head's weight: every logit depends on it, so the change must show.
  onnx::TensorProto* target = nullptr;
  for (auto& t : *m.mutable_graph()->mutable_initializer()) {
    if (t.data_type() == onnx::TensorProto::FLOAT && t.dims_size() == 2 && t.dims(1) == 4) {
      target = &t;
    }
  }
  ASSERT_NE(target, nullptr) << "no [d_model, 4] head weight among the initializers";
  ASSERT_TRUE(target->has_raw_data());
  std::string raw = target->raw_data();
  float w = 0;
  std::memcpy(&w, raw.data(), sizeof w);
  w += 0.05f;
  std::memcpy(raw.data(), &w, sizeof w);
  target->set_raw_data(raw);
  const fs::path bad = root_ / "tiny_perturbed.onnx";
  cli_test::write_model(m, bad);

  const parity::ParityReport r = parity_of("tiny", bad, {"reference"});
  EXPECT_FALSE(r.passed);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_FALSE(r.results[0].passed);
  EXPECT_GT(r.results[0].comparison.max_abs_diff, 1e-4);

  // The report written next to the artifact records the failure; a report never transfers to
  // another file.
  parity::write_parity_report(bad, r);
  const auto read = parity::read_parity_report(bad);
  ASSERT_TRUE(read.has_value());
  EXPECT_FALSE((*read)["passed"].get<bool>());
  EXPECT_FALSE(parity::read_parity_report(good).has_value());
}

TEST_F(ExportTest, ExternalDataWritesASideFileTheInterpreterLoads) {
  const fs::path file = root_ / "ext" / "tiny.onnx";
  fs::create_directories(file.parent_path());
  ExportOptions o;
  o.external_data = true;
  const ExportSummary s = export_bundle(bundle("tiny"), file, o);
  ASSERT_FALSE(s.data_file.empty());
  EXPECT_TRUE(fs::exists(s.data_file));
  EXPECT_EQ(s.data_file.parent_path(), file.parent_path());
  EXPECT_GT(fs::file_size(s.data_file), fs::file_size(file));
  const onnx::ModelProto m = read_model(file);
  int external = 0;
  for (const auto& t : m.graph().initializer()) {
    if (t.data_location() == onnx::TensorProto::EXTERNAL) {
      ++external;
      EXPECT_FALSE(t.has_raw_data());
    }
  }
  EXPECT_GT(external, 0);
  const parity::ParityReport r = parity_of("tiny", file, {"reference"});
  EXPECT_TRUE(r.passed) << r.to_json().dump();
}

TEST_F(ExportTest, ATamperedBundleIsRefusedAndNothingIsWritten) {
  const fs::path copy = root_ / "tampered_bundle";
  fs::remove_all(copy);
  fs::copy(bundle("tiny"), copy);
  {
    std::fstream f(copy / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x7f');
  }
  const fs::path out = root_ / "never.onnx";
  try {
    (void)export_bundle(copy, out, {});
    FAIL() << "a tampered bundle exported";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInvalidModel);
    EXPECT_NE(std::string(e.what()).find("sha256"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(ExportTest, InspectShowsTheDynamicAxesOfAnExport) {
  const fs::path file = root_ / "tiny_inspect.onnx";
  (void)export_bundle(bundle("tiny"), file, {});
  const cli_test::RunResult r = cli_test::run_bog({"inspect", file.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["inputs"].size(), 2u);
  for (const auto& in : j["inputs"]) {
    EXPECT_EQ(in["type"]["shape"], nlohmann::json::parse(R"(["batch","sequence"])"));
    EXPECT_EQ(in["type"]["dtype"], "int64");
  }
  EXPECT_EQ(j["outputs"][0]["type"]["shape"], nlohmann::json::parse(R"(["batch",4])"));
  EXPECT_EQ(j["metadata_props"]["architecture"], "tiny_llama");
  const cli_test::RunResult human = cli_test::run_bog({"inspect", file.string()});
  EXPECT_NE(human.out.find("int64[batch,sequence]"), std::string::npos) << human.out;
}

}  // namespace
}  // namespace bog::onnx_export
