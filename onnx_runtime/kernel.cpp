#include "onnx_runtime/kernel.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "common/error.h"

namespace bog::runtime {
namespace {

// Whether a tensor of `shape` and the buffer's dtype fits in the buffer.
bool fits(const Tensor& buffer, std::span<const int64_t> shape) {
  int64_t n = 1;
  for (const int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return false;
  }
  return n <= buffer.numel();
}

}  // namespace

KernelContext::KernelContext(const Node& node, std::vector<const Value*> inputs,
                             size_t num_outputs, SubgraphRunner runner)
    : node_(node), inputs_(std::move(inputs)), owned_(num_outputs), runner_(std::move(runner)) {
  outputs_.reserve(num_outputs);
  for (Value& v : owned_) outputs_.push_back(&v);
}

KernelContext::KernelContext(const Node& node, std::vector<const Value*> inputs,
                             std::vector<Value*> outputs, SubgraphRunner runner)
    : node_(node),
      inputs_(std::move(inputs)),
      owned_(outputs.size()),
      outputs_(std::move(outputs)),
      runner_(std::move(runner)) {
  for (size_t i = 0; i < outputs_.size(); ++i) {
    if (outputs_[i] == nullptr) outputs_[i] = &owned_[i];
  }
}

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

void KernelContext::check_output_index(size_t i) const {
  if (i >= outputs_.size()) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': output {} does not exist (node has {})", node_.op_type,
                            node_.name, i, outputs_.size()));
  }
}

Tensor& KernelContext::place_output(size_t i, DType dtype, std::span<const int64_t> shape,
                                    bool zero) {
  check_output_index(i);
  Value& v = *outputs_[i];
  if (i < 64) placed_ |= uint64_t{1} << i;
  const Tensor* plan = planned_ != nullptr ? planned_[i] : nullptr;
  if (plan != nullptr && (stretching_ ? plan->dtype() == dtype && fits(*plan, shape)
                                      : plan->same_layout(dtype, shape))) {
    if (v.kind != ValueKind::kTensor) v = Value();
    if (v.tensor.raw() != plan->raw() || !v.tensor.same_layout(dtype, shape)) {
      if (stretching_) {
        v.tensor.assign_view_of(*plan, shape);
      } else {
        v.tensor.assign_view_of(*plan);
      }
    }
    if (zero && v.tensor.nbytes() > 0) std::memset(v.tensor.raw(), 0, v.tensor.nbytes());
    return v.tensor;
  }
  v = Value::from_tensor(zero ? Tensor(dtype, Shape(shape.begin(), shape.end()))
                              : Tensor::uninitialized(dtype, shape));
  return v.tensor;
}

Tensor& KernelContext::allocate_output(size_t i, DType dtype, std::span<const int64_t> shape) {
  return place_output(i, dtype, shape, true);
}

Tensor& KernelContext::allocate_output(size_t i, DType dtype,
                                       std::initializer_list<int64_t> shape) {
  return place_output(i, dtype, std::span<const int64_t>(shape.begin(), shape.size()), true);
}

Tensor& KernelContext::output_uninit(size_t i, DType dtype, std::span<const int64_t> shape) {
  return place_output(i, dtype, shape, false);
}

void KernelContext::set_output(size_t i, Tensor t) {
  set_output_value(i, Value::from_tensor(std::move(t)));
}

void KernelContext::set_output_value(size_t i, Value v) {
  check_output_index(i);
  if (i < 64) placed_ &= ~(uint64_t{1} << i);
  *outputs_[i] = std::move(v);
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
