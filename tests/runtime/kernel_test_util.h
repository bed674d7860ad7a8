// Test helpers: build a single node and run one kernel on it directly, without a Session.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/graph.h"
#include "onnx_runtime/kernel.h"

namespace bog::runtime::testing {

// A node with `num_inputs` inputs named in0.. and `num_outputs` outputs named out0..
inline Node make_node(std::string op_type, size_t num_inputs, size_t num_outputs, int opset,
                      std::vector<Attribute> attributes = {}) {
  Node n;
  n.op_type = std::move(op_type);
  n.name = n.op_type + "_test";
  n.opset = opset;
  for (size_t i = 0; i < num_inputs; ++i) n.inputs.push_back("in" + std::to_string(i));
  for (size_t i = 0; i < num_outputs; ++i) n.outputs.push_back("out" + std::to_string(i));
  n.attributes = std::move(attributes);
  return n;
}

inline Attribute int_attr(std::string name, int64_t v) {
  Attribute a;
  a.name = std::move(name);
  a.type = Attribute::Type::kInt;
  a.i = v;
  return a;
}
inline Attribute float_attr(std::string name, float v) {
  Attribute a;
  a.name = std::move(name);
  a.type = Attribute::Type::kFloat;
  a.f = v;
  return a;
}
inline Attribute ints_attr(std::string name, std::vector<int64_t> v) {
  Attribute a;
  a.name = std::move(name);
  a.type = Attribute::Type::kInts;
  a.ints = std::move(v);
  return a;
}
inline Attribute string_attr(std::string name, std::string v) {
  Attribute a;
  a.name = std::move(name);
  a.type = Attribute::Type::kString;
  a.s = std::move(v);
  return a;
}

// Runs `node` on `provider` with the given inputs (a default Value marks an absent input).
inline std::vector<Value> run_node(const ExecutionProvider& provider, const Node& node,
                                   const std::vector<const Value*>& inputs) {
  const Claim claim = provider.claims(node);
  if (!claim) throw std::runtime_error(provider.name() + " does not claim: " + claim.reason);
  KernelFn fn = provider.create_kernel(node);
  KernelContext ctx(node, inputs, node.outputs.size());
  fn(ctx);
  return std::move(ctx.outputs());
}

inline std::vector<Value> run_node(const ExecutionProvider& provider, const Node& node,
                                   std::vector<Tensor> inputs) {
  std::vector<Value> values;
  values.reserve(inputs.size());
  for (Tensor& t : inputs) values.push_back(Value::from_tensor(std::move(t)));
  std::vector<const Value*> ptrs;
  for (const Value& v : values) ptrs.push_back(&v);
  return run_node(provider, node, ptrs);
}

// Uniform random float32 tensor in [lo, hi), reproducible from `seed`.
inline Tensor random_tensor(const Shape& shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(DType::kFloat32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (float& v : t.span<float>()) v = dist(rng);
  return t;
}

// Element-wise |a - b| <= atol + rtol * |b| over float32 tensors of equal shape.
inline void expect_close(const Tensor& actual, const Tensor& expected, float rtol = 1e-5f,
                         float atol = 1e-6f) {
  ASSERT_EQ(actual.shape(), expected.shape());
  ASSERT_EQ(actual.dtype(), expected.dtype());
  const float* a = actual.data<float>();
  const float* b = expected.data<float>();
  for (int64_t i = 0; i < actual.numel(); ++i) {
    if (std::isnan(b[i])) {
      EXPECT_TRUE(std::isnan(a[i])) << "at " << i;
      continue;
    }
    EXPECT_LE(std::fabs(a[i] - b[i]), atol + rtol * std::fabs(b[i]))
        << "at " << i << ": " << a[i] << " vs " << b[i];
  }
}

}  // namespace bog::runtime::testing
