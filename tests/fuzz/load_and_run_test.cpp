// The fuzz target's body outside the fuzzer: what it does with valid, broken and oversized
// models, and a replay of every input the fuzzer ever crashed on (fuzz/regressions/), so a
// fixed crash stays fixed in `make test` without clang or libFuzzer.
#include "fuzz/load_and_run.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/build_paths.h"

namespace bog::fuzz {
namespace {

namespace fs = std::filesystem;

// x float[batch, 3] -> Relu -> y; opset 17.
std::string relu_model_bytes(const std::string& elem_dim_param = "batch") {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("g");
  for (const char* name : {"x", "y"}) {
    onnx::ValueInfoProto* v = std::string(name) == "x" ? g->add_input() : g->add_output();
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    t->mutable_shape()->add_dim()->set_dim_param(elem_dim_param);
    t->mutable_shape()->add_dim()->set_dim_value(3);
  }
  auto* n = g->add_node();
  n->set_op_type("Relu");
  n->add_input("x");
  n->add_output("y");
  return m.SerializeAsString();
}

TEST(FuzzLoadAndRun, RunsAValidModelOnRandomFeeds) {
  EXPECT_EQ(load_and_run(relu_model_bytes()), Outcome::kRan);
}

TEST(FuzzLoadAndRun, RejectsGarbageAndTruncatedModelsWithAnError) {
  EXPECT_EQ(load_and_run("not a model"), Outcome::kRejected);
  EXPECT_EQ(load_and_run(""), Outcome::kRejected);
  const std::string good = relu_model_bytes();
  for (size_t cut : {good.size() / 3, good.size() / 2, good.size() - 1}) {
    SCOPED_TRACE(cut);
    EXPECT_NO_THROW((void)load_and_run(good.substr(0, cut)));
  }
}

TEST(FuzzLoadAndRun, SkipsInputsOverTheSizeLimit) {
  EXPECT_EQ(load_and_run(std::string(kMaxModelBytes + 1, '\0')), Outcome::kTooLarge);
}

// Each file in fuzz/regressions/ once crashed the fuzz target (its name says how); it must now
// end in an outcome, never an escaping exception (the sanitizers catch the rest in `make fuzz`).
TEST(FuzzRegressions, EveryRecordedCrashInputEndsCleanly) {
  const fs::path dir = fs::path(bog::source_dir()) / "fuzz" / "regressions";
  int replayed = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file() || e.path().filename().string().starts_with(".")) continue;
    if (e.path().extension() == ".md") continue;
    SCOPED_TRACE(e.path().filename().string());
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    EXPECT_NO_THROW((void)load_and_run(bytes.str()));
    ++replayed;
  }
  if (replayed == 0) GTEST_SKIP() << "no recorded crash inputs in " << dir.string();
}

}  // namespace
}  // namespace bog::fuzz
