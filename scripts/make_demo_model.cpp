// Writes the demo model shipped in models/demo/: a 2-layer MLP classifier
//   features[batch,8] -> Gemm(W1,b1) -> Relu -> MatMul(W2) -> Add(b2) = logits -> Softmax = probs
// plus test_data_set_0 (batch 3) whose expected outputs are computed here with plain loops in
// double, independent of the runtime. Deterministic: rerunning gives identical bytes.
// Build: cmake --build build --target bog_make_demo_model; run: build/bog_make_demo_model
// models/demo
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

constexpr int kIn = 8, kHidden = 16, kClasses = 4, kBatch = 3;

// mt19937's output sequence is fixed by the standard (unlike std distributions), so the
// weights are the same on every platform.
std::vector<float> values(std::mt19937& rng, size_t n, float scale) {
  std::vector<float> v(n);
  for (float& x : v) x = scale * (static_cast<float>(rng() % 2001) / 1000.0f - 1.0f);
  return v;
}

onnx::TensorProto tensor(const std::string& name, const std::vector<int64_t>& dims,
                         const std::vector<float>& v) {
  onnx::TensorProto t;
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (const int64_t d : dims) t.add_dims(d);
  for (const float x : v) t.add_float_data(x);
  return t;
}

onnx::ValueInfoProto info(const std::string& name, int64_t cols) {
  onnx::ValueInfoProto v;
  v.set_name(name);
  auto* t = v.mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  t->mutable_shape()->add_dim()->set_dim_param("batch");
  t->mutable_shape()->add_dim()->set_dim_value(cols);
  return v;
}

void node(onnx::GraphProto* g, const std::string& op, const std::string& name,
          const std::vector<std::string>& in, const std::string& out) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : in) n->add_input(i);
  n->add_output(out);
}

void write(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: bog_make_demo_model OUT_DIR\n";
    return 2;
  }
  const fs::path out = argv[1];
  std::mt19937 rng(20261123);
  const std::vector<float> w1 = values(rng, kIn * kHidden, 0.5f);
  const std::vector<float> b1 = values(rng, kHidden, 0.1f);
  const std::vector<float> w2 = values(rng, kHidden * kClasses, 0.5f);
  const std::vector<float> b2 = values(rng, kClasses, 0.1f);
  const std::vector<float> x = values(rng, kBatch * kIn, 1.0f);

  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("bog_make_demo_model");
  m.set_producer_version("1");
  m.set_doc_string("2-layer MLP classifier for `make demo`");
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(17);
  auto* meta = m.add_metadata_props();
  meta->set_key("architecture");
  meta->set_value("mlp-8-16-4");
  meta = m.add_metadata_props();
  meta->set_key("labels");
  meta->set_value("World,Sports,Business,Sci/Tech");
  auto* g = m.mutable_graph();
  g->set_name("demo_mlp");
  *g->add_input() = info("features", kIn);
  *g->add_output() = info("logits", kClasses);
  *g->add_output() = info("probs", kClasses);
  *g->add_initializer() = tensor("W1", {kIn, kHidden}, w1);
  *g->add_initializer() = tensor("b1", {kHidden}, b1);
  *g->add_initializer() = tensor("W2", {kHidden, kClasses}, w2);
  *g->add_initializer() = tensor("b2", {kClasses}, b2);
  node(g, "Gemm", "fc1", {"features", "W1", "b1"}, "h");
  node(g, "Relu", "relu1", {"h"}, "h_relu");
  node(g, "MatMul", "fc2", {"h_relu", "W2"}, "z");
  node(g, "Add", "fc2_bias", {"z", "b2"}, "logits");
  node(g, "Softmax", "softmax", {"logits"}, "probs");
  auto* axis = g->mutable_node(4)->add_attribute();
  axis->set_name("axis");
  axis->set_type(onnx::AttributeProto::INT);
  axis->set_i(-1);

  // Expected outputs with plain loops in double.
  std::vector<float> logits(kBatch * kClasses), probs(kBatch * kClasses);
  for (int b = 0; b < kBatch; ++b) {
    std::vector<double> h(kHidden);
    for (int j = 0; j < kHidden; ++j) {
      double s = b1[j];
      for (int i = 0; i < kIn; ++i) s += static_cast<double>(x[b * kIn + i]) * w1[i * kHidden + j];
      h[j] = s > 0 ? s : 0;
    }
    std::vector<double> z(kClasses);
    double max = -1e300;
    for (int c = 0; c < kClasses; ++c) {
      double s = b2[c];
      for (int j = 0; j < kHidden; ++j) s += h[j] * w2[j * kClasses + c];
      z[c] = s;
      max = std::max(max, s);
    }
    double sum = 0;
    for (int c = 0; c < kClasses; ++c) sum += std::exp(z[c] - max);
    for (int c = 0; c < kClasses; ++c) {
      logits[b * kClasses + c] = static_cast<float>(z[c]);
      probs[b * kClasses + c] = static_cast<float>(std::exp(z[c] - max) / sum);
    }
  }

  fs::create_directories(out / "test_data_set_0");
  write(out / "mlp.onnx", m.SerializeAsString());
  write(out / "test_data_set_0" / "input_0.pb",
        tensor("features", {kBatch, kIn}, x).SerializeAsString());
  write(out / "test_data_set_0" / "output_0.pb",
        tensor("logits", {kBatch, kClasses}, logits).SerializeAsString());
  write(out / "test_data_set_0" / "output_1.pb",
        tensor("probs", {kBatch, kClasses}, probs).SerializeAsString());
  std::cout << "wrote " << (out / "mlp.onnx").string() << " and test_data_set_0\n";
  return 0;
}
