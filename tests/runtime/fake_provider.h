// Test-only provider built from the list of op types it claims (like ONNX Runtime's
// internal_testing EP). Its kernels are the reference ones, so results stay checkable.
#pragma once

#include <set>
#include <string>

#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/providers/reference/reference_provider.h"

namespace bog::runtime::testing {

class FakeProvider : public ExecutionProvider {
 public:
  FakeProvider(std::string name, std::set<std::string> ops, bool available = true,
               std::string unavailable_reason = {})
      : name_(std::move(name)),
        ops_(std::move(ops)),
        available_(available),
        reason_(std::move(unavailable_reason)) {}

  std::string name() const override { return name_; }
  bool available() const override { return available_; }
  std::string unavailable_reason() const override { return reason_; }
  Claim claims(const Node& node) const override {
    if (ops_.count(node.op_type)) return Claim::yes();
    return Claim::no("op " + node.op_type + " not claimed");
  }
  KernelFn create_kernel(const Node& node) const override {
    ++kernels_created;
    return reference_.create_kernel(node);
  }
  mutable int kernels_created = 0;

 private:
  std::string name_;
  std::set<std::string> ops_;
  bool available_;
  std::string reason_;
  ReferenceProvider reference_;
};

}  // namespace bog::runtime::testing
