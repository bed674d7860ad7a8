// `bog export --triton-repo` as a user runs it: the ensemble <name> takes and gives what
// /v2/models/<name>/infer does (text BYTES [n] -> probabilities FP32 [n, classes], label BYTES
// [n]); every config.pbtxt parses as text-format protobuf against
// tests/serve/triton_model_config.proto, and the ensemble's wiring passes the checks Triton makes
// when it loads one (every step input mapped, one type and a consistent shape per tensor).
#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "common/build_paths.h"
#include "onnx_runtime/loader.h"
#include "serve/oip_v2.h"
#include "tests/cli/cli_test_util.h"
#include "tests/serve/serve_test_util.h"

namespace bog::serve_test {
namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;
using nlohmann::json;

struct Tensor {
  std::string type;
  std::vector<int64_t> dims;
};

// What a parsed config.pbtxt holds that the ensemble checks need.
struct Config {
  std::string name, platform, backend;
  int64_t max_batch_size = 0;
  std::map<std::string, Tensor> inputs, outputs;
  std::map<std::string, std::string> parameters;
  struct Step {
    std::string model;
    std::map<std::string, std::string> input_map, output_map;
  };
  std::vector<Step> steps;
  std::string debug;
};

class Parser {
 public:
  Parser() : importer_(&tree_, &errors_) {
    tree_.MapPath("", (fs::path(bog::source_dir()) / "tests" / "serve").string());
    const pb::FileDescriptor* file = importer_.Import("triton_model_config.proto");
    type_ = file ? file->pool()->FindMessageTypeByName("inference.ModelConfig") : nullptr;
    if (file) factory_ = std::make_unique<pb::DynamicMessageFactory>(file->pool());
  }
  // "" on success, else the parse errors.
  std::string parse(const std::string& text, Config* out) {
    if (type_ == nullptr) return "proto: " + errors_.text;
    std::unique_ptr<pb::Message> msg(factory_->GetPrototype(type_)->New());
    pb::TextFormat::Parser parser;
    errors_.text.clear();
    parser.RecordErrorsTo(&errors_);
    if (!parser.ParseFromString(text, msg.get())) return "pbtxt: " + errors_.text;
    if (out != nullptr) read(*msg, *out);
    return "";
  }

 private:
  struct Errors : pb::compiler::MultiFileErrorCollector, pb::io::ErrorCollector {
    std::string text;
    void AddError(const std::string& file, int line, int col, const std::string& m) override {
      text += file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + m + "\n";
    }
    void AddError(int line, int col, const std::string& m) override {
      text += std::to_string(line + 1) + ":" + std::to_string(col) + ": " + m + "\n";
    }
  };
  static const pb::FieldDescriptor* field(const pb::Message& m, const char* name) {
    return m.GetDescriptor()->FindFieldByName(name);
  }
  static std::map<std::string, Tensor> tensors(const pb::Message& m, const char* name) {
    std::map<std::string, Tensor> out;
    const pb::Reflection* r = m.GetReflection();
    for (int i = 0; i < r->FieldSize(m, field(m, name)); ++i) {
      const pb::Message& t = r->GetRepeatedMessage(m, field(m, name), i);
      const pb::Reflection* tr = t.GetReflection();
      Tensor tensor{tr->GetEnum(t, field(t, "data_type"))->name(), {}};
      for (int d = 0; d < tr->FieldSize(t, field(t, "dims")); ++d) {
        tensor.dims.push_back(tr->GetRepeatedInt64(t, field(t, "dims"), d));
      }
      out[tr->GetString(t, field(t, "name"))] = tensor;
    }
    return out;
  }
  static std::map<std::string, std::string> string_map(const pb::Message& m, const char* name) {
    std::map<std::string, std::string> out;
    const pb::Reflection* r = m.GetReflection();
    for (int i = 0; i < r->FieldSize(m, field(m, name)); ++i) {
      const pb::Message& e = r->GetRepeatedMessage(m, field(m, name), i);
      out[e.GetReflection()->GetString(e, field(e, "key"))] =
          e.GetReflection()->GetString(e, field(e, "value"));
    }
    return out;
  }
  static void read(const pb::Message& m, Config& c) {
    const pb::Reflection* r = m.GetReflection();
    c.name = r->GetString(m, field(m, "name"));
    c.platform = r->GetString(m, field(m, "platform"));
    c.backend = r->GetString(m, field(m, "backend"));
    c.max_batch_size = r->GetInt32(m, field(m, "max_batch_size"));
    c.inputs = tensors(m, "input");
    c.outputs = tensors(m, "output");
    for (int i = 0; i < r->FieldSize(m, field(m, "parameters")); ++i) {
      const pb::Message& e = r->GetRepeatedMessage(m, field(m, "parameters"), i);
      const pb::Message& v = e.GetReflection()->GetMessage(e, field(e, "value"));
      c.parameters[e.GetReflection()->GetString(e, field(e, "key"))] =
          v.GetReflection()->GetString(v, field(v, "string_value"));
    }
    if (r->HasField(m, field(m, "ensemble_scheduling"))) {
      const pb::Message& es = r->GetMessage(m, field(m, "ensemble_scheduling"));
      for (int i = 0; i < es.GetReflection()->FieldSize(es, field(es, "step")); ++i) {
        const pb::Message& s = es.GetReflection()->GetRepeatedMessage(es, field(es, "step"), i);
        c.steps.push_back({s.GetReflection()->GetString(s, field(s, "model_name")),
                           string_map(s, "input_map"), string_map(s, "output_map")});
      }
    }
    c.debug = m.DebugString();
  }
  pb::compiler::DiskSourceTree tree_;
  Errors errors_;
  pb::compiler::Importer importer_;
  const pb::Descriptor* type_ = nullptr;
  std::unique_ptr<pb::DynamicMessageFactory> factory_;
};

// Triton's ensemble check (core/src/ensemble_utils.cc): a tensor's dims agree when equal up to
// -1 wildcards, either as written or with the batch axis (-1) in front for a batching model.
std::vector<int64_t> full(const Tensor& t, bool batching) {
  std::vector<int64_t> d;
  if (batching) d.push_back(-1);
  d.insert(d.end(), t.dims.begin(), t.dims.end());
  return d;
}
bool wildcard_equal(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && a[i] != -1 && b[i] != -1) return false;
  }
  return true;
}
struct Node {
  Tensor t;
  bool batching = false;
};
void expect_consistent(const Node& a, const Node& b, const std::string& what) {
  EXPECT_EQ(a.t.type, b.t.type) << what;
  EXPECT_TRUE(wildcard_equal(a.t.dims, b.t.dims) ||
              wildcard_equal(full(a.t, a.batching), full(b.t, b.batching)))
      << what << ": inconsistent shape";
}

Config read_config(Parser& parser, const fs::path& file) {
  Config c;
  const std::string text = cli_test::read_bytes(file);
  EXPECT_EQ(parser.parse(text, &c), "") << file << "\n" << text;
  return c;
}

TEST(TritonExport, TheEnsembleHasTheV2NamesAndPassesTritonsChecks) {
  const cli_test::TempDir dir;
  const cli_test::RunResult r = cli_test::run_bog(
      {"export", "--bundle", bundle_dir().string(), "--triton-repo", (dir / "repo").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string name = "agnews-tiny-llama";
  const fs::path repo = dir / "repo";
  EXPECT_NE(r.out.find("ensemble agnews-tiny-llama"), std::string::npos) << r.out;
  Parser parser;
  std::map<std::string, Config> models;
  for (const std::string& m : {name, name + "_tokenize", name + "_onnx", name + "_postprocess"}) {
    ASSERT_TRUE(fs::is_regular_file(repo / m / "config.pbtxt")) << m;
    models[m] = read_config(parser, repo / m / "config.pbtxt");
    EXPECT_EQ(models[m].name, m);
    EXPECT_TRUE(fs::is_directory(repo / m / "1")) << m;  // a version folder, as Triton needs
  }
  const Config& ens = models[name];
  EXPECT_EQ(ens.platform, "ensemble");

  // The ensemble answers as bog serve's /v2/models/<name> says, BYTES being TYPE_STRING.
  const json meta = serve::v2_model_metadata(name, 4);
  const std::map<std::string, std::string> types = {{"BYTES", "TYPE_STRING"},
                                                    {"FP32", "TYPE_FP32"}};
  ASSERT_EQ(ens.inputs.size(), meta["inputs"].size());
  ASSERT_EQ(ens.outputs.size(), meta["outputs"].size());
  for (const auto& [io, list] :
       {std::pair{&ens.inputs, meta["inputs"]}, std::pair{&ens.outputs, meta["outputs"]}}) {
    for (const json& t : list) {
      const std::string n = t["name"].get<std::string>();
      ASSERT_TRUE(io->count(n)) << n;
      EXPECT_EQ(io->at(n).type, types.at(t["datatype"].get<std::string>())) << n;
      EXPECT_EQ(full(io->at(n), ens.max_batch_size > 0), t["shape"].get<std::vector<int64_t>>())
          << n;
    }
  }

  // Triton's load-time checks of the ensemble: steps name models of the repository, every step
  // input is mapped to a tensor someone produced, each tensor keeps one type and shape, and the
  // ensemble outputs come out of the last step.
  std::map<std::string, Node> tensors;
  for (const auto& [n, t] : ens.inputs) tensors[n] = {t, ens.max_batch_size > 0};
  ASSERT_EQ(ens.steps.size(), 3u);
  EXPECT_EQ(ens.steps[0].model, name + "_tokenize");
  EXPECT_EQ(ens.steps[1].model, name + "_onnx");
  EXPECT_EQ(ens.steps[2].model, name + "_postprocess");
  for (const Config::Step& s : ens.steps) {
    ASSERT_TRUE(models.count(s.model)) << s.model;
    const Config& m = models[s.model];
    const bool batching = m.max_batch_size > 0;
    EXPECT_LE(ens.max_batch_size, batching ? m.max_batch_size : ens.max_batch_size) << s.model;
    EXPECT_EQ(s.input_map.size(), m.inputs.size()) << s.model << ": every input mapped";
    for (const auto& [model_in, tensor] : s.input_map) {
      ASSERT_TRUE(m.inputs.count(model_in)) << s.model << " has no input " << model_in;
      ASSERT_TRUE(tensors.count(tensor)) << tensor << " is used before a step makes it";
      expect_consistent(tensors[tensor], {m.inputs.at(model_in), batching}, s.model + " " + tensor);
    }
    for (const auto& [model_out, tensor] : s.output_map) {
      ASSERT_TRUE(m.outputs.count(model_out)) << s.model << " has no output " << model_out;
      EXPECT_FALSE(tensors.count(tensor) && !ens.outputs.count(tensor)) << tensor << " twice";
      tensors[tensor] = {m.outputs.at(model_out), batching};
    }
  }
  for (const auto& [n, t] : ens.outputs) {
    ASSERT_TRUE(tensors.count(n)) << "no step gives ensemble output " << n;
    expect_consistent(tensors[n], {t, ens.max_batch_size > 0}, "output " + n);
  }

  // The ONNX step: the same export bog serve runs, with dynamic batching.
  const Config& onnx = models[name + "_onnx"];
  EXPECT_EQ(onnx.backend, "onnxruntime");
  EXPECT_EQ(onnx.max_batch_size, 64);
  EXPECT_NE(onnx.debug.find("dynamic_batching {"), std::string::npos) << onnx.debug;
  EXPECT_EQ(onnx.inputs.at("input_ids").type, "TYPE_INT64");
  EXPECT_EQ(onnx.outputs.at("logits").dims, std::vector<int64_t>{4});
  const runtime::Model m = runtime::load_model(repo / (name + "_onnx") / "1" / "model.onnx");
  EXPECT_EQ(m.graph.inputs.front().name, "input_ids");
  EXPECT_EQ(cli_test::read_bytes(repo / (name + "_onnx") / "labels.txt"),
            "World\nSports\nBusiness\nSci/Tech\n");

  // The Python steps: the bundle's tokenizer and labels, and the settings model.py reads.
  const Config& tok = models[name + "_tokenize"];
  EXPECT_EQ(tok.backend, "python");
  EXPECT_EQ(cli_test::read_bytes(repo / (name + "_tokenize") / "1" / "tokenizer.model"),
            cli_test::read_bytes(bundle_dir() / "tokenizer.model"));
  const json config =
      json::parse(cli_test::read_bytes(bundle_dir() / "manifest.json"))["model_config"];
  EXPECT_EQ(tok.parameters.at("max_len"), std::to_string(config["max_len"].get<int>()));
  EXPECT_EQ(tok.outputs.at("input_ids").dims,
            (std::vector<int64_t>{-1, config["max_len"].get<int64_t>()}));
  EXPECT_EQ(tok.parameters.at("max_texts"), "64");
  EXPECT_EQ(tok.parameters.at("ids_name"), "input_ids");
  EXPECT_EQ(tok.parameters.at("mask_name"),
            onnx.inputs.count("attention_mask") ? "attention_mask" : "");
  const std::string tok_py = cli_test::read_bytes(repo / (name + "_tokenize") / "1" / "model.py");
  for (const auto& [k, v] : tok.parameters) {
    EXPECT_NE(tok_py.find("params[\"" + k + "\"]"), std::string::npos) << k;
  }
  const Config& post = models[name + "_postprocess"];
  EXPECT_EQ(post.backend, "python");
  EXPECT_EQ(post.parameters.at("logits_name"), "logits");
  EXPECT_EQ(cli_test::read_bytes(repo / (name + "_postprocess") / "labels.txt"),
            "World\nSports\nBusiness\nSci/Tech\n");
  const std::string post_py =
      cli_test::read_bytes(repo / (name + "_postprocess") / "1" / "model.py");
  EXPECT_NE(post_py.find("pb_utils.Tensor(\"probabilities\""), std::string::npos);
  EXPECT_NE(post_py.find("pb_utils.Tensor(\"label\""), std::string::npos);

  // The check can fail: a field Triton does not have is rejected.
  EXPECT_NE(
      parser.parse(cli_test::read_bytes(repo / name / "config.pbtxt") + "max_batch: 3\n", nullptr),
      "");
}

TEST(TritonExport, NameAndFlagsAreChecked) {
  const cli_test::TempDir dir;
  const cli_test::RunResult named = cli_test::run_bog(
      {"export", "--bundle", bundle_dir().string(), "--triton-repo", (dir / "repo").string(),
       "--triton-name", "news", "--triton-max-batch", "16", "--json"});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  const json j = json::parse(named.out);
  EXPECT_EQ(j["model"], "news");
  EXPECT_EQ(j["models"], json({"news", "news_tokenize", "news_onnx", "news_postprocess"}));
  for (const json& f : j["files"]) {
    EXPECT_TRUE(fs::is_regular_file(dir / "repo" / f.get<std::string>())) << f;
  }
  EXPECT_NE(
      cli_test::read_bytes(dir / "repo" / "news_onnx" / "config.pbtxt").find("max_batch_size: 16"),
      std::string::npos);
  EXPECT_NE(cli_test::read_bytes(dir / "repo" / "news_tokenize" / "config.pbtxt")
                .find("string_value: \"16\""),
            std::string::npos);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"export", "--bundle", bundle_dir().string()},
        {"export", "--bundle", bundle_dir().string(), "--triton-repo", (dir / "r").string(),
         "--triton-name", "../escape"},
        {"export", "--bundle", bundle_dir().string(), "--triton-repo", (dir / "r").string(),
         "--triton-name", std::string(120, 'a')},
        {"export", "--bundle", bundle_dir().string(), "--triton-repo", (dir / "r").string(),
         "--triton-max-batch", "0"},
        {"export", "--bundle", bundle_dir().string(), "--triton-repo", (dir / "r").string(),
         "--out", (dir / "m.onnx").string()}}) {
    const cli_test::RunResult r = cli_test::run_bog(args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err.rfind("error[invalid_argument]", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir / "escape"));
  EXPECT_FALSE(fs::exists(dir / "r"));
}

}  // namespace
}  // namespace bog::serve_test
