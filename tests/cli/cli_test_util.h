// Helpers for end-to-end tests of the `bog` executable (path in env BOG_EXE): run it and
// capture its streams, and build small ONNX models with the protobuf API in a temp folder.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace bog::cli_test {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs BOG_EXE with `args`; `cwd` empty = current directory.
RunResult run_bog(const std::vector<std::string>& args, const std::filesystem::path& cwd = {});

// A fresh temporary folder, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A float tensor value_info with the given dims ("" entries are fixed sizes from `fixed`).
onnx::ValueInfoProto float_info(const std::string& name, const std::vector<int64_t>& dims,
                                const std::vector<std::string>& params = {});
onnx::TensorProto float_tensor(const std::string& name, const std::vector<int64_t>& dims,
                               const std::vector<float>& values);

// y = Relu(x * W + b) ... small models the tests start from.
// add_model: inputs a, b float[2,3]; output c = a + b. Opset 17, IR 8.
onnx::ModelProto add_model();
// relu_matmul_model: x float[batch,4] -> MatMul(W[4,3]) -> Add(b[3]) -> Relu -> y float[batch,3].
onnx::ModelProto relu_matmul_model();

void write_model(const onnx::ModelProto& model, const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, const std::string& bytes);
std::string read_bytes(const std::filesystem::path& path);

// Writes input_K.pb / output_K.pb (TensorProto) into dir.
void write_tensor(const std::filesystem::path& path, const onnx::TensorProto& tensor);

// A node-test case folder <root>/<name>: add_model() as model.onnx and test_data_set_0 with
// inputs a, b and the expected output c (element 4 off by `expected_delta`).
std::filesystem::path make_add_case(const std::filesystem::path& root, const std::string& name,
                                    float expected_delta = 0);
// A small suite in `root`: test_good (passes), test_wrong (wrong expected output),
// test_unknown_op (an op nobody implements), test_broken_data (an unreadable input file).
std::filesystem::path make_suite(const std::filesystem::path& root);

}  // namespace bog::cli_test
