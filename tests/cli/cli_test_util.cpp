#include "tests/cli/cli_test_util.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace bog::cli_test {
namespace fs = std::filesystem;

RunResult run_bog(const std::vector<std::string>& args, const fs::path& cwd) {
  const char* exe = std::getenv("BOG_EXE");
  if (exe == nullptr) throw std::runtime_error("BOG_EXE is not set (run the tests through ctest)");
  const TempDir io;
  const fs::path out_path = io / "stdout";
  const fs::path err_path = io / "stderr";
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    std::vector<char*> argv;
    std::string exe_copy = exe;
    argv.push_back(exe_copy.data());
    std::vector<std::string> copies = args;
    for (std::string& a : copies) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(exe, argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_bytes(out_path);
  r.err = read_bytes(err_path);
  return r;
}

TempDir::TempDir() {
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const fs::path p = fs::temp_directory_path() / ("bog_cli_test_" + std::to_string(rd()));
    if (fs::create_directory(p)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temp folder");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

onnx::ValueInfoProto float_info(const std::string& name, const std::vector<int64_t>& dims,
                                const std::vector<std::string>& params) {
  onnx::ValueInfoProto v;
  v.set_name(name);
  auto* t = v.mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = t->mutable_shape();
  for (size_t i = 0; i < dims.size(); ++i) {
    auto* d = shape->add_dim();
    if (i < params.size() && !params[i].empty()) {
      d->set_dim_param(params[i]);
    } else {
      d->set_dim_value(dims[i]);
    }
  }
  return v;
}

onnx::TensorProto float_tensor(const std::string& name, const std::vector<int64_t>& dims,
                               const std::vector<float>& values) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (const int64_t d : dims) t.add_dims(d);
  for (const float v : values) t.add_float_data(v);
  return t;
}

namespace {
onnx::ModelProto empty_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("bog-cli-test");
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(17);
  m.mutable_graph()->set_name("test");
  return m;
}
}  // namespace

onnx::ModelProto add_model() {
  onnx::ModelProto m = empty_model();
  auto* g = m.mutable_graph();
  *g->add_input() = float_info("a", {2, 3});
  *g->add_input() = float_info("b", {2, 3});
  *g->add_output() = float_info("c", {2, 3});
  auto* n = g->add_node();
  n->set_op_type("Add");
  n->set_name("add0");
  n->add_input("a");
  n->add_input("b");
  n->add_output("c");
  return m;
}

onnx::ModelProto relu_matmul_model() {
  onnx::ModelProto m = empty_model();
  auto* g = m.mutable_graph();
  *g->add_input() = float_info("x", {1, 4}, {"batch", ""});
  *g->add_output() = float_info("y", {1, 3}, {"batch", ""});
  *g->add_initializer() = float_tensor(
      "W", {4, 3}, {0.5f, -1.0f, 0.25f, 1.0f, 0.5f, -0.5f, -0.25f, 0.75f, 1.0f, 0.1f, 0.2f, 0.3f});
  *g->add_initializer() = float_tensor("bias", {3}, {0.1f, -0.2f, 0.0f});
  const auto node = [&](const char* op, std::vector<std::string> in, const char* out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(std::string(op) + "_0");
    for (const auto& i : in) n->add_input(i);
    n->add_output(out);
    return n;
  };
  node("MatMul", {"x", "W"}, "xw");
  node("Add", {"xw", "bias"}, "pre");
  node("Relu", {"pre"}, "y");
  auto* meta = m.add_metadata_props();
  meta->set_key("purpose");
  meta->set_value("cli test");
  return m;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

void write_model(const onnx::ModelProto& model, const fs::path& path) {
  write_bytes(path, model.SerializeAsString());
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_tensor(const fs::path& path, const onnx::TensorProto& tensor) {
  write_bytes(path, tensor.SerializeAsString());
}

// A case folder: model + test_data_set_0 with inputs and (optionally wrong) expected output.
fs::path make_add_case(const fs::path& root, const std::string& name, float expected_delta) {
  const fs::path dir = root / name;
  fs::create_directories(dir / "test_data_set_0");
  write_model(add_model(), dir / "model.onnx");
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};
  const std::vector<float> b = {0.5f, -1, 0, 2, 1e-3f, -6};
  std::vector<float> c(6);
  for (size_t i = 0; i < 6; ++i) c[i] = a[i] + b[i];
  c[4] += expected_delta;
  write_tensor(dir / "test_data_set_0" / "input_0.pb", float_tensor("a", {2, 3}, a));
  write_tensor(dir / "test_data_set_0" / "input_1.pb", float_tensor("b", {2, 3}, b));
  write_tensor(dir / "test_data_set_0" / "output_0.pb", float_tensor("c", {2, 3}, c));
  return dir;
}

// A small suite: one passing case, one with a wrong expected output, one using an op nobody
// implements, one whose data does not fit the model.
fs::path make_suite(const fs::path& root) {
  make_add_case(root, "test_good");
  make_add_case(root, "test_wrong", 1.0f);
  const fs::path unsupported = make_add_case(root, "test_unknown_op");
  onnx::ModelProto m = add_model();
  m.mutable_graph()->mutable_node(0)->set_op_type("NoSuchOpAnywhere");
  write_model(m, unsupported / "model.onnx");
  const fs::path broken = make_add_case(root, "test_broken_data");
  write_bytes(broken / "test_data_set_0" / "input_0.pb", "\xff\xff\xff garbage");
  return root;
}

}  // namespace bog::cli_test
