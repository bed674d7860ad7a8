#include "onnx_runtime/kernel.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/error.h"

namespace bog::runtime {

KernelContext::KernelContext(const Node& node, std::vector<const Value*> inputs,
                             size_t num_outputs, SubgraphRunner runner)
    : node_(node), inputs_(std::move(inputs)), outputs_(num_outputs), runner_(std::move(runner)) {}

const Value& KernelContext::input_value(size_t i) const {
  if (!has_input(i)) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': required input {} is missing", node_.op_type,
                            node_.name, i));
  }
  return *inputs_[i];
}

const Tensor& KernelContext::input(size_t i) const {
  const Value& v = input_value(i);
  if (!v.is_tensor()) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': input {} is not a tensor", node_.op_type, node_.name, i));
  }
  return v.tensor;
}

bool KernelContext::has_output(size_t i) const {
  return i < node_.outputs.size() && !node_.outputs[i].empty();
}

Tensor& KernelContext::allocate_output(size_t i, DType dtype, Shape shape) {
  set_output(i, Tensor(dtype, std::move(shape)));
  return outputs_[i].tensor;
}

void KernelContext::set_output(size_t i, Tensor t) { set_output_value(i, Value::from_tensor(std::move(t))); }

void KernelContext::set_output_value(size_t i, Value v) {
  if (i >= outputs_.size()) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': output {} does not exist (node has {})", node_.op_type,
                            node_.name, i, outputs_.size()));
  }
  outputs_[i] = std::move(v);
}

std::vector<Value> KernelContext::run_subgraph(const Graph& graph, std::vector<Value> inputs) const {
  if (!runner_) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("{} node '{}': this provider cannot run subgraphs", node_.op_type,
                            node_.name));
  }
  return runner_(graph, std::move(inputs));
}

void KernelRegistry::add(KernelDef def) { defs_.push_back(std::move(def)); }

const KernelDef* KernelRegistry::find(std::string_view op_type, std::string_view domain,
                                      int opset) const {
  const std::string_view dom = domain == "ai.onnx" ? std::string_view() : domain;
  for (const KernelDef& d : defs_) {
    if (d.op_type == op_type && d.domain == dom && opset >= d.since_version &&
        opset <= d.until_version) {
      return &d;
    }
  }
  return nullptr;
}

std::string KernelRegistry::why_not(std::string_view op_type, std::string_view domain,
                                    int opset) const {
  const std::string_view dom = domain == "ai.onnx" ? std::string_view() : domain;
  std::vector<std::string> ranges;
  for (const KernelDef& d : defs_) {
    if (d.op_type == op_type && d.domain == dom) {
      ranges.push_back(d.until_version >= (1 << 20)
                           ? fmt::format("{}+", d.since_version)
                           : fmt::format("{}-{}", d.since_version, d.until_version));
    }
  }
  const std::string qualified =
      dom.empty() ? std::string(op_type) : fmt::format("{}:{}", dom, op_type);
  if (ranges.empty()) return fmt::format("op {} not implemented", qualified);
  return fmt::format("op {} implemented for opsets {}, model uses {}", qualified,
                     fmt::join(ranges, ","), opset);
}

std::vector<std::string> KernelRegistry::op_types() const {
  std::set<std::string> names;
  for (const KernelDef& d : defs_) names.insert(d.domain.empty() ? d.op_type : d.domain + ":" + d.op_type);
  return {names.begin(), names.end()};
}

}  // namespace bog::runtime
