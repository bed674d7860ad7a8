// Loader: valid models convert faithfully; every malformed model is one bog::Error with the
// right category, never a crash (byte flips and truncations included).
#include "onnx_runtime/loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common/error.h"
#include "tests/runtime/model_builder.h"

namespace bog::runtime {
namespace {
namespace fs = std::filesystem;
using testing::add_float_initializer;
using testing::add_graph_attr;
using testing::add_int_attr;
using testing::add_node;
using testing::add_relu_model;
using testing::add_value_info;
using testing::empty_model;
using testing::load;

// The category of the bog::Error `f` throws; fails the test when it throws nothing. Messages
// must be one line.
ErrorCategory category_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    EXPECT_FALSE(std::string(e.what()).empty());
    return e.category();
  }
  ADD_FAILURE() << "no bog::Error thrown";
  return ErrorCategory::kInternal;
}

ErrorCategory load_category(const onnx::ModelProto& m, const fs::path& dir = ".") {
  return category_of([&] { (void)load(m, dir); });
}

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("bog_loader_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(Loader, ConvertsAValidModel) {
  const Model model = load(add_relu_model());
  EXPECT_EQ(model.ir_version, 8);
  EXPECT_EQ(model.producer_name, "bog-test");
  ASSERT_EQ(model.metadata.size(), 1u);
  EXPECT_EQ(model.metadata[0].second, "test");
  const Graph& g = model.graph;
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.inputs[0].type.elem_type, DType::kFloat32);
  ASSERT_EQ(g.inputs[0].type.shape.size(), 2u);
  EXPECT_EQ(g.inputs[0].type.shape[0].param, "N");
  EXPECT_EQ(g.inputs[0].type.shape[1].value, 3);
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[0].op_type, "Add");
  EXPECT_EQ(g.nodes[0].opset, 17);
  EXPECT_EQ(g.opsets.at(""), 17);
  EXPECT_EQ(g.initializers.at("bias").data<float>()[1], -2.0f);
}

TEST(Loader, SortsNodesTopologically) {
  onnx::ModelProto m = add_relu_model();
  m.mutable_graph()->mutable_node()->SwapElements(0, 1);  // Relu listed before its producer
  const Model model = load(m);
  EXPECT_EQ(model.graph.nodes[0].op_type, "Add");
  EXPECT_EQ(model.graph.nodes[1].op_type, "Relu");
}

TEST(Loader, ConvertsEveryAttributeType) {
  onnx::ModelProto m = add_relu_model();
  onnx::NodeProto* n = m.mutable_graph()->mutable_node(1);
  auto add = [&](const char* name, onnx::AttributeProto::AttributeType type) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(type);
    return a;
  };
  add("f", onnx::AttributeProto::FLOAT)->set_f(0.5f);
  add("s", onnx::AttributeProto::STRING)->set_s("hi");
  add("fs", onnx::AttributeProto::FLOATS)->add_floats(2.0f);
  add("ss", onnx::AttributeProto::STRINGS)->add_strings("a");
  auto* t = add("t", onnx::AttributeProto::TENSOR)->mutable_t();
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_int64_data(7);
  auto* tp = add("tp", onnx::AttributeProto::TYPE_PROTO)->mutable_tp();
  tp->mutable_sequence_type()->mutable_elem_type()->mutable_tensor_type()->set_elem_type(
      onnx::TensorProto::INT32);
  const Model model = load(m);
  const Node& relu = model.graph.nodes[1];
  EXPECT_EQ(relu.attr_float("f", 0), 0.5f);
  EXPECT_EQ(relu.attr_string("s", ""), "hi");
  EXPECT_EQ(relu.attr_floats("fs"), std::vector<float>{2.0f});
  EXPECT_EQ(relu.attr_strings("ss"), std::vector<std::string>{"a"});
  EXPECT_EQ(relu.attr_tensor("t")->data<int64_t>()[0], 7);
  const Attribute* a = relu.attr("tp");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->type_proto.kind, ValueKind::kSequence);
  EXPECT_EQ(a->type_proto.element->elem_type, DType::kInt32);
}

// If whose branches read 'x' from the outer scope.
onnx::ModelProto if_model() {
  onnx::ModelProto m = empty_model();
  onnx::GraphProto* g = m.mutable_graph();
  add_value_info(g->mutable_input(), "c", onnx::TensorProto::BOOL, {});
  add_value_info(g->mutable_input(), "x", onnx::TensorProto::FLOAT, {2});
  onnx::NodeProto* n = add_node(g, "If", {"c"}, {"y"}, "if");
  onnx::GraphProto* then_g = add_graph_attr(n, "then_branch");
  add_node(then_g, "Relu", {"x"}, {"t"});
  add_value_info(then_g->mutable_output(), "t", onnx::TensorProto::FLOAT, {2});
  onnx::GraphProto* else_g = add_graph_attr(n, "else_branch");
  add_node(else_g, "Neg", {"x"}, {"e"});
  add_value_info(else_g->mutable_output(), "e", onnx::TensorProto::FLOAT, {2});
  add_value_info(g->mutable_output(), "y", onnx::TensorProto::FLOAT, {2});
  return m;
}

TEST(Loader, ConvertsNestedGraphsReadingTheOuterScope) {
  const Model model = load(if_model());
  const Graph* then_g = model.graph.nodes[0].attr_graph("then_branch");
  ASSERT_NE(then_g, nullptr);
  ASSERT_EQ(then_g->nodes.size(), 1u);
  EXPECT_EQ(then_g->nodes[0].op_type, "Relu");
  EXPECT_EQ(then_g->nodes[0].opset, 17);
}

TEST(Loader, OrdersANodeAfterTheProducerItsSubgraphReads) {
  onnx::ModelProto m = if_model();
  onnx::GraphProto* g = m.mutable_graph();
  // The branches now read 'x2', produced by a node listed after the If.
  g->mutable_node(0)->mutable_attribute(0)->mutable_g()->mutable_node(0)->set_input(0, "x2");
  add_node(g, "Abs", {"x"}, {"x2"}, "abs");
  const Model model = load(m);
  EXPECT_EQ(model.graph.nodes[0].op_type, "Abs");
  EXPECT_EQ(model.graph.nodes[1].op_type, "If");
}

TEST(Loader, AcceptsNewerOpsThatTheOldCheckerDoesNotKnow) {
  onnx::ModelProto m = empty_model(10, 24);
  onnx::GraphProto* g = m.mutable_graph();
  add_value_info(g->mutable_input(), "x", onnx::TensorProto::INT32, {3});
  add_node(g, "BitwiseNot", {"x"}, {"y"});
  add_value_info(g->mutable_output(), "y", onnx::TensorProto::INT32, {3});
  EXPECT_NO_THROW((void)load(m));
  // An IR-8/opset-17 model with an op unknown to libonnx 1.12 is left to placement too.
  onnx::ModelProto old = add_relu_model();
  old.mutable_graph()->mutable_node(1)->set_op_type("MyCustomRelu");
  EXPECT_NO_THROW((void)load(old));
}

// --- Malformed models: one test per kind of problem -----------------------------------------

TEST(LoaderMalformed, RejectsEmptyFile) {
  EXPECT_EQ(category_of([] { (void)load_model_from_bytes("", "."); }),
            ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsNonProtobufBytes) {
  EXPECT_EQ(category_of([] { (void)load_model_from_bytes("\xff\xff\xff\xff not onnx", "."); }),
            ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsMissingIrVersion) {
  onnx::ModelProto m = add_relu_model();
  m.clear_ir_version();
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsNewerIrVersionAsUnsupported) {
  onnx::ModelProto m = add_relu_model();
  m.set_ir_version(14);
  EXPECT_EQ(load_category(m), ErrorCategory::kUnsupported);
}

TEST(LoaderMalformed, RejectsNewerOpsetAsUnsupported) {
  onnx::ModelProto m = add_relu_model();
  m.mutable_opset_import(0)->set_version(29);
  EXPECT_EQ(load_category(m), ErrorCategory::kUnsupported);
}

TEST(LoaderMalformed, RejectsMissingOpsetImport) {
  onnx::ModelProto m = add_relu_model();
  m.clear_opset_import();
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsNodeDomainThatIsNotImported) {
  onnx::ModelProto m = add_relu_model();
  m.mutable_graph()->mutable_node(1)->set_domain("com.example");
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsMissingGraph) {
  onnx::ModelProto m = add_relu_model();
  m.clear_graph();
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsUnknownInputDtype) {
  onnx::ModelProto m = add_relu_model();
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(99);
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsUnknownInitializerDtype) {
  onnx::ModelProto m = add_relu_model();
  m.mutable_graph()->mutable_initializer(0)->set_data_type(57);
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsDanglingNodeInput) {
  onnx::ModelProto m = add_relu_model();
  m.mutable_graph()->mutable_node(1)->set_input(0, "nowhere");
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsDanglingGraphOutput) {
  onnx::ModelProto m = add_relu_model();
  m.mutable_graph()->mutable_output(0)->set_name("nowhere");
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsDanglingNameInsideSubgraph) {
  onnx::ModelProto m = if_model();
  m.mutable_graph()->mutable_node(0)->mutable_attribute(1)->mutable_g()->mutable_node(0)->set_input(
      0, "not_in_any_scope");
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsValueProducedTwice) {
  onnx::ModelProto m = add_relu_model();
  add_node(m.mutable_graph(), "Neg", {"x"}, {"sum"});
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsDuplicateGraphOutputs) {
  onnx::ModelProto m = add_relu_model();
  add_value_info(m.mutable_graph()->mutable_output(), "y", onnx::TensorProto::FLOAT, {-1, 3});
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsCycle) {
  onnx::ModelProto m = add_relu_model();
  onnx::GraphProto* g = m.mutable_graph();
  g->mutable_node(0)->set_input(0, "y");  // Add reads Relu's output, Relu reads Add's
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsSelfLoop) {
  onnx::ModelProto m = add_relu_model();
  m.mutable_graph()->mutable_node(1)->set_input(0, "y");
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsInitializerByteSizeMismatch) {
  onnx::ModelProto m = add_relu_model();
  onnx::TensorProto* t = m.mutable_graph()->mutable_initializer(0);
  t->clear_float_data();
  t->set_raw_data(std::string(11, '\0'));
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsInitializerWithTooFewValues) {
  onnx::ModelProto m = add_relu_model();
  m.mutable_graph()->mutable_initializer(0)->mutable_float_data()->RemoveLast();
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsNegativeInitializerDim) {
  onnx::ModelProto m = add_relu_model();
  m.mutable_graph()->mutable_initializer(0)->set_dims(0, -3);
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsOverflowingInitializerDims) {
  onnx::ModelProto m = add_relu_model();
  onnx::TensorProto* t = m.mutable_graph()->mutable_initializer(0);
  t->set_dims(0, int64_t{1} << 62);
  t->add_dims(int64_t{1} << 62);
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsNegativeDeclaredDim) {
  onnx::ModelProto m = add_relu_model();
  m.mutable_graph()
      ->mutable_output(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(1)
      ->set_dim_value(-5);
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsAttributeOfWrongType) {
  onnx::ModelProto m = add_relu_model();
  onnx::GraphProto* g = m.mutable_graph();
  onnx::NodeProto* n = add_node(g, "Transpose", {"y"}, {"yt"});
  auto* a = n->add_attribute();
  a->set_name("perm");
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(1.0f);
  add_value_info(g->mutable_output(), "yt", onnx::TensorProto::FLOAT, {3, -1});
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
  // Same on a model too new for libonnx's checker: the loader's own check catches it.
  m.set_ir_version(10);
  m.mutable_opset_import(0)->set_version(23);
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsDuplicateAttribute) {
  onnx::ModelProto m = add_relu_model();
  add_int_attr(m.mutable_graph()->mutable_node(1), "k", 1);
  add_int_attr(m.mutable_graph()->mutable_node(1), "k", 2);
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsNodeWithoutOpType) {
  onnx::ModelProto m = add_relu_model();
  m.mutable_graph()->mutable_node(1)->clear_op_type();
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsWhatTheCheckerCatchesOnOldModels) {
  onnx::ModelProto m = add_relu_model();
  m.mutable_graph()->mutable_node(0)->add_input("x");  // Add with three inputs
  EXPECT_EQ(load_category(m), ErrorCategory::kInvalidModel);
}

onnx::ModelProto external_model(const std::string& location) {
  onnx::ModelProto m = add_relu_model();
  onnx::TensorProto* t = m.mutable_graph()->mutable_initializer(0);
  t->clear_float_data();
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* e = t->add_external_data();
  e->set_key("location");
  e->set_value(location);
  return m;
}

TEST(LoaderMalformed, RejectsMissingExternalFile) {
  TempDir dir;
  EXPECT_EQ(load_category(external_model("weights.bin"), dir.path()), ErrorCategory::kIo);
}

TEST(LoaderMalformed, RejectsExternalDataWithAbsolutePath) {
  TempDir dir;
  std::ofstream(dir.path() / "w.bin", std::ios::binary) << std::string(12, '\0');
  EXPECT_EQ(load_category(external_model((dir.path() / "w.bin").string()), dir.path()),
            ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsExternalDataWithDotDot) {
  TempDir dir;
  fs::create_directories(dir.path() / "model");
  std::ofstream(dir.path() / "w.bin", std::ios::binary) << std::string(12, '\0');
  EXPECT_EQ(load_category(external_model("../w.bin"), dir.path() / "model"),
            ErrorCategory::kInvalidModel);
}

TEST(LoaderMalformed, RejectsExternalDataSymlinkLeavingTheDirectory) {
  TempDir dir;
  fs::create_directories(dir.path() / "model");
  std::ofstream(dir.path() / "w.bin", std::ios::binary) << std::string(12, '\0');
  fs::create_symlink(dir.path() / "w.bin", dir.path() / "model" / "w.bin");
  EXPECT_EQ(load_category(external_model("w.bin"), dir.path() / "model"),
            ErrorCategory::kInvalidModel);
}

TEST(Loader, ReadsExternalDataInsideTheDirectory) {
  TempDir dir;
  const float vals[3] = {4.0f, 5.0f, 6.0f};
  std::ofstream(dir.path() / "w.bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(vals), sizeof(vals));
  const onnx::ModelProto m = external_model("w.bin");
  std::ofstream(dir.path() / "model.onnx", std::ios::binary) << m.SerializeAsString();
  const Model model = load_model(dir.path() / "model.onnx");
  EXPECT_EQ(model.graph.initializers.at("bias").data<float>()[2], 6.0f);
}

TEST(LoaderMalformed, RejectsMissingAndDirectoryPaths) {
  TempDir dir;
  EXPECT_EQ(category_of([&] { (void)load_model(dir.path() / "none.onnx"); }), ErrorCategory::kIo);
  EXPECT_EQ(category_of([&] { (void)load_model(dir.path()); }), ErrorCategory::kIo);
}

TEST(LoaderMalformed, TruncationsNeverCrash) {
  const std::string bytes = add_relu_model().SerializeAsString();
  int errors = 0;
  for (size_t len = 0; len < bytes.size(); ++len) {
    SCOPED_TRACE(::testing::Message() << "length=" << len);
    try {
      (void)load_model_from_bytes(std::string_view(bytes).substr(0, len), ".");
    } catch (const Error& e) {
      ++errors;
      EXPECT_TRUE(e.category() == ErrorCategory::kInvalidModel ||
                  e.category() == ErrorCategory::kUnsupported)
          << e.what();
    }
  }
  EXPECT_GT(errors, static_cast<int>(bytes.size()) / 2);
}

TEST(LoaderMalformed, RandomByteFlipsNeverCrash) {
  const std::string bytes = if_model().SerializeAsString();
  for (uint32_t seed = 0; seed < 300; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed=" << seed);
    std::mt19937 rng(seed);
    std::string mutated = bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) {
      mutated[rng() % mutated.size()] = static_cast<char>(rng());
    }
    try {
      (void)load_model_from_bytes(mutated, ".");
    } catch (const Error& e) {
      EXPECT_NE(e.category(), ErrorCategory::kInternal) << e.what();
    }
  }
}

}  // namespace
}  // namespace bog::runtime
