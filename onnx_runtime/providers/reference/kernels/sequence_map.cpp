// SequenceMap: applies the body to each element of the input sequence; additional inputs that
// are sequences are walked in step, tensors are passed whole to every iteration.
#include <fmt/format.h>

#include "onnx_runtime/providers/reference/kernels/control_flow_kernels.h"

namespace bog::runtime::ref {
namespace {

void sequence_map(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Graph* body = node.attr_graph("body");
  if (body == nullptr) cf::fail(node, "missing attribute 'body'");
  const Value& first = ctx.input_value(0);
  if (first.kind != ValueKind::kSequence) cf::fail(node, "input 0 must be a sequence");
  const size_t n = first.sequence.size();
  for (size_t i = 1; i < ctx.num_inputs(); ++i) {
    const Value& v = ctx.input_value(i);
    if (v.kind == ValueKind::kSequence && v.sequence.size() != n) {
      cf::fail(node, fmt::format("sequence input {} has {} elements, input 0 has {}", i,
                                 v.sequence.size(), n));
    }
  }
  const size_t num_out = ctx.num_outputs();
  std::vector<std::vector<Tensor>> outs(num_out);
  for (size_t it = 0; it < n; ++it) {
    std::vector<Value> inputs;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      const Value& v = ctx.input_value(i);
      const Tensor& t = v.kind == ValueKind::kSequence ? v.sequence[it] : v.tensor;
      inputs.push_back(Value::from_tensor(t.view(t.shape())));
    }
    std::vector<Value> result = ctx.run_subgraph(*body, std::move(inputs));
    if (result.size() != num_out) cf::fail(node, "body returned the wrong number of outputs");
    for (size_t k = 0; k < num_out; ++k) {
      if (!result[k].is_tensor()) cf::fail(node, "body outputs must be tensors");
      outs[k].push_back(std::move(result[k].tensor));
    }
  }
  for (size_t k = 0; k < num_out; ++k) {
    DType dtype = outs[k].empty() ? DType::kUndefined : outs[k][0].dtype();
    if (dtype == DType::kUndefined && k < body->outputs.size())
      dtype = body->outputs[k].type.elem_type;
    ctx.set_output_value(k, Value::from_sequence(std::move(outs[k]), dtype));
  }
}

}  // namespace

void register_sequence_map_kernels(KernelRegistry& registry) {
  registry.add({"SequenceMap", "", 17, 1 << 20, sequence_map});
}

}  // namespace bog::runtime::ref
