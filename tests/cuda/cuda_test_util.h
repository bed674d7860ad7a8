// Helpers for the cuda tests: the provider (or why it cannot run here), one-node runs through the
// provider's own boundary copies, and the tolerance table the kernel tests share.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "onnx_runtime/execution_provider.h"
#include "tests/runtime/kernel_test_util.h"

namespace bog::runtime::testing {

// The cuda provider when it can run here, else nullptr and `why` says why not.
inline std::shared_ptr<ExecutionProvider> cuda_or_reason(std::string& why) {
  auto p = make_provider("cuda");
  if (p->available()) return p;
  why = p->unavailable_reason();
  return nullptr;
}

// Skips the calling test, naming the reason, when no CUDA device can run the provider.
#define BOG_REQUIRE_CUDA(provider)                                                       \
  std::string bog_cuda_why;                                                             \
  const std::shared_ptr<ExecutionProvider> provider = cuda_or_reason(bog_cuda_why);     \
  if (!provider) GTEST_SKIP() << "skipped: no usable CUDA device (" << bog_cuda_why << ")"

// Runs `node` on a device provider: inputs go through to_device, outputs come back through
// to_host, as the session does at provider boundaries.
inline std::vector<Tensor> run_on_device(const ExecutionProvider& p, const Node& node,
                                         const std::vector<const Tensor*>& inputs) {
  std::vector<Value> values;
  values.reserve(inputs.size());
  for (const Tensor* t : inputs) {
    values.push_back(t == nullptr ? Value() : Value::from_tensor(p.to_device(*t)));
  }
  std::vector<const Value*> ptrs;
  for (size_t i = 0; i < inputs.size(); ++i) ptrs.push_back(inputs[i] ? &values[i] : nullptr);
  std::vector<Value> out = run_node(p, node, ptrs);
  std::vector<Tensor> host;
  for (Value& v : out) {
    host.push_back(!v.tensor.defined() ? Tensor()
                   : v.tensor.device() == Device::kCpu ? std::move(v.tensor)
                                                        : p.to_host(v.tensor));
  }
  return host;
}

inline std::vector<Tensor> run_on_host(const ExecutionProvider& p, const Node& node,
                                       const std::vector<const Tensor*>& inputs) {
  std::vector<Value> values;
  for (const Tensor* t : inputs) values.push_back(t ? Value::from_tensor(t->clone()) : Value());
  std::vector<const Value*> ptrs;
  for (size_t i = 0; i < inputs.size(); ++i) ptrs.push_back(inputs[i] ? &values[i] : nullptr);
  std::vector<Value> out = run_node(p, node, ptrs);
  std::vector<Tensor> host;
  for (Value& v : out) host.push_back(std::move(v.tensor));
  return host;
}

struct CudaTolerance {
  float rtol;
  float atol;
};

// One table: fp32 kernels (TF32 off) agree with the double-accumulating reference to 1e-4.
inline CudaTolerance cuda_tolerance_for(const std::string& op) {
  static const std::map<std::string, CudaTolerance> table = {
      {"MatMul", {1e-4f, 1e-4f}},  {"Gemm", {1e-4f, 1e-4f}},
      {"Softmax", {1e-4f, 1e-5f}}, {"LayerNormalization", {1e-4f, 1e-4f}},
      {"Erf", {1e-5f, 1e-5f}},     {"Gelu", {1e-5f, 1e-5f}}};
  const auto it = table.find(op);
  return it == table.end() ? CudaTolerance{1e-5f, 1e-5f} : it->second;
}

}  // namespace bog::runtime::testing
