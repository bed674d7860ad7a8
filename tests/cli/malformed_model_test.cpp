// Malformed models through the CLI: each gets one line "error[<category>]: ..." on stderr and
// the category's exit code (common/error.h), never a crash.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>

#include "tests/cli/cli_test_util.h"

namespace bog::cli_test {
namespace {

namespace fs = std::filesystem;

struct MalformedCase {
  std::string name;
  // Writes the bad model (and any side files) into dir and returns the model path.
  std::function<fs::path(const fs::path& dir)> make;
  std::string category;  // expected error[<category>]
  int exit_code;
};

fs::path save(const onnx::ModelProto& m, const fs::path& dir) {
  write_model(m, dir / "model.onnx");
  return dir / "model.onnx";
}

fs::path save_bytes(const std::string& bytes, const fs::path& dir) {
  write_bytes(dir / "model.onnx", bytes);
  return dir / "model.onnx";
}

onnx::ModelProto with_external(const std::string& location) {
  onnx::ModelProto m = relu_matmul_model();
  auto* w = m.mutable_graph()->mutable_initializer(0);
  w->clear_float_data();
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* e = w->add_external_data();
  e->set_key("location");
  e->set_value(location);
  return m;
}

std::vector<MalformedCase> cases() {
  std::vector<MalformedCase> c;
  const auto model = [](std::function<void(onnx::ModelProto&)> edit) {
    return [edit](const fs::path& dir) {
      onnx::ModelProto m = relu_matmul_model();
      edit(m);
      return save(m, dir);
    };
  };
  c.push_back(
      {"EmptyFile", [](const fs::path& d) { return save_bytes("", d); }, "invalid_model", 3});
  c.push_back({"MissingFile", [](const fs::path& d) { return d / "nope.onnx"; }, "io", 4});
  c.push_back({"NotProtobuf",
               [](const fs::path& d) { return save_bytes("this is not an onnx model\n", d); },
               "invalid_model", 3});
  c.push_back({"RandomBytes",
               [](const fs::path& d) {
                 std::mt19937 rng(7);
                 std::string bytes(4096, '\0');
                 for (char& ch : bytes) ch = static_cast<char>(rng());
                 return save_bytes(bytes, d);
               },
               "invalid_model", 3});
  for (const size_t keep : {size_t{1}, size_t{10}, size_t{40}}) {
    c.push_back({"TruncatedTo" + std::to_string(keep) + "Bytes",
                 [keep](const fs::path& d) {
                   const std::string bytes = relu_matmul_model().SerializeAsString();
                   return save_bytes(bytes.substr(0, std::min(keep, bytes.size())), d);
                 },
                 "invalid_model", 3});
  }
  c.push_back({"TruncatedByOneByte",
               [](const fs::path& d) {
                 const std::string bytes = relu_matmul_model().SerializeAsString();
                 return save_bytes(bytes.substr(0, bytes.size() - 1), d);
               },
               "invalid_model", 3});
  c.push_back(
      {"UnknownElemType", model([](onnx::ModelProto& m) {
         m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(
             99);
       }),
       "invalid_model", 3});
  c.push_back({"UnknownInitializerType", model([](onnx::ModelProto& m) {
                 m.mutable_graph()->mutable_initializer(1)->set_data_type(77);
               }),
               "invalid_model", 3});
  c.push_back({"DanglingNodeInput", model([](onnx::ModelProto& m) {
                 m.mutable_graph()->mutable_node(1)->set_input(0, "nobody_makes_this");
               }),
               "invalid_model", 3});
  c.push_back({"DanglingGraphOutput", model([](onnx::ModelProto& m) {
                 m.mutable_graph()->mutable_output(0)->set_name("not_produced");
               }),
               "invalid_model", 3});
  c.push_back({"Cycle", model([](onnx::ModelProto& m) {
                 // MatMul now reads Relu's output, which depends on MatMul.
                 m.mutable_graph()->mutable_node(0)->set_input(0, "y");
               }),
               "invalid_model", 3});
  c.push_back({"DuplicateNodeOutput", model([](onnx::ModelProto& m) {
                 m.mutable_graph()->mutable_node(1)->set_output(0, "xw");
               }),
               "invalid_model", 3});
  c.push_back({"NegativeDim", model([](onnx::ModelProto& m) {
                 m.mutable_graph()->mutable_initializer(1)->set_dims(0, -3);
               }),
               "invalid_model", 3});
  c.push_back({"OverflowingDims", model([](onnx::ModelProto& m) {
                 auto* t = m.mutable_graph()->mutable_initializer(1);
                 t->set_dims(0, int64_t{1} << 40);
                 t->add_dims(int64_t{1} << 40);
               }),
               "invalid_model", 3});
  c.push_back({"InitializerTooFewValues", model([](onnx::ModelProto& m) {
                 m.mutable_graph()->mutable_initializer(0)->mutable_float_data()->RemoveLast();
               }),
               "invalid_model", 3});
  c.push_back({"InitializerRawDataWrongSize", model([](onnx::ModelProto& m) {
                 auto* t = m.mutable_graph()->mutable_initializer(1);
                 t->clear_float_data();
                 t->set_raw_data(std::string(5, '\0'));
               }),
               "invalid_model", 3});
  c.push_back({"ExternalDataAbsolutePath",
               [](const fs::path& d) { return save(with_external("/etc/passwd"), d); },
               "invalid_model", 3});
  c.push_back({"ExternalDataDotDot",
               [](const fs::path& d) {
                 fs::create_directories(d / "sub");
                 write_bytes(d / "w.bin", std::string(48, '\0'));
                 return [&] {
                   write_model(with_external("../w.bin"), d / "sub" / "model.onnx");
                   return d / "sub" / "model.onnx";
                 }();
               },
               "invalid_model", 3});
  c.push_back({"ExternalDataSymlinkLeavingDir",
               [](const fs::path& d) {
                 fs::create_directories(d / "sub");
                 write_bytes(d / "w.bin", std::string(48, '\0'));
                 fs::create_symlink(d / "w.bin", d / "sub" / "w.bin");
                 write_model(with_external("w.bin"), d / "sub" / "model.onnx");
                 return d / "sub" / "model.onnx";
               },
               "invalid_model", 3});
  c.push_back({"ExternalDataMissingFile",
               [](const fs::path& d) { return save(with_external("missing.bin"), d); }, "io", 4});
  c.push_back({"ExternalDataTooShort",
               [](const fs::path& d) {
                 write_bytes(d / "w.bin", std::string(8, '\0'));
                 return save(with_external("w.bin"), d);
               },
               "invalid_model", 3});
  c.push_back({"AttributeOfWrongType", model([](onnx::ModelProto& m) {
                 auto* n = m.mutable_graph()->add_node();
                 n->set_op_type("Softmax");
                 n->add_input("y");
                 n->add_output("z");
                 auto* a = n->add_attribute();
                 a->set_name("axis");
                 a->set_type(onnx::AttributeProto::STRING);
                 a->set_s("last");
                 m.mutable_graph()->mutable_output(0)->set_name("z");
               }),
               "invalid_model", 3});
  c.push_back({"IrVersionTooNew", model([](onnx::ModelProto& m) { m.set_ir_version(99); }),
               "unsupported", 5});
  c.push_back({"OpsetTooNew",
               model([](onnx::ModelProto& m) { m.mutable_opset_import(0)->set_version(1000); }),
               "unsupported", 5});
  c.push_back({"NoOpsetImport", model([](onnx::ModelProto& m) { m.clear_opset_import(); }),
               "invalid_model", 3});
  c.push_back({"NodeWithoutOpType", model([](onnx::ModelProto& m) {
                 m.mutable_graph()->mutable_node(2)->set_op_type("");
               }),
               "invalid_model", 3});
  return c;
}

class MalformedModel : public testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedModel, InspectPrintsOneErrorLineWithTheCategoryExitCode) {
  const MalformedCase& mc = GetParam();
  const TempDir dir;
  const fs::path model = mc.make(dir.path());
  const RunResult r = run_bog({"inspect", model.string()});
  SCOPED_TRACE("stderr: " + r.err);
  EXPECT_EQ(r.exit_code, mc.exit_code);
  EXPECT_EQ(r.err.rfind("error[" + mc.category + "]: ", 0), 0u);
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "exactly one line";
  EXPECT_TRUE(r.out.empty());
}

INSTANTIATE_TEST_SUITE_P(Cli, MalformedModel, testing::ValuesIn(cases()),
                         [](const testing::TestParamInfo<MalformedCase>& info) {
                           return info.param.name;
                         });

// Random byte flips of a valid model: whatever the loader decides, the CLI either runs or
// fails with one error line and a category exit code, and never crashes.
TEST(MalformedModel, RandomByteFlipsNeverCrashRun) {
  const std::string good = relu_matmul_model().SerializeAsString();
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed=" + std::to_string(seed));
    std::mt19937 rng(seed);
    std::string bytes = good;
    for (int k = 0; k < 3; ++k) {
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    const TempDir dir;
    write_bytes(dir / "model.onnx", bytes);
    const RunResult r = run_bog({"run", (dir / "model.onnx").string(), "--random"});
    SCOPED_TRACE("stderr: " + r.err);
    EXPECT_LT(r.exit_code, 128) << "killed by a signal";
    if (r.exit_code != 0) {
      EXPECT_EQ(r.err.rfind("error[", 0), 0u);
      EXPECT_EQ(r.err.find('\n'), r.err.size() - 1);
    }
  }
}

}  // namespace
}  // namespace bog::cli_test
