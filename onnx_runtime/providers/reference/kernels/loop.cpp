// Loop: a generic for/while loop. Body inputs are (iteration_num, cond, carried...), body
// outputs (cond, carried..., scan outputs...). Node outputs are the final carried values and
// each scan output stacked along a new first axis.
#include <fmt/format.h>

#include "onnx_runtime/providers/reference/kernels/control_flow_kernels.h"

namespace bog::runtime::ref {
namespace {

// Shape of a scan output that received no iteration: the body's declared shape when it is
// fully known, else a 1-D empty tensor.
Tensor empty_scan_output(const ValueInfo& declared) {
  Shape shape{0};
  bool known = declared.type.has_shape;
  for (const Dim& d : declared.type.shape) {
    if (d.value < 0) known = false;
    shape.push_back(d.value);
  }
  if (!known) shape = {0};
  const DType dtype =
      declared.type.elem_type == DType::kUndefined ? DType::kFloat32 : declared.type.elem_type;
  return Tensor(dtype, shape);
}

void loop_kernel(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Graph* body = node.attr_graph("body");
  if (body == nullptr) cf::fail(node, "missing attribute 'body'");
  const bool has_max = ctx.has_input(0);
  const bool has_cond = ctx.has_input(1);
  const int64_t max_trips = has_max ? cf::read_int_scalar(ctx.input(0), node, "M") : 0;
  bool cond = has_cond ? cf::read_bool_scalar(ctx.input(1), node, "cond") : true;
  const size_t num_carried = ctx.num_inputs() > 2 ? ctx.num_inputs() - 2 : 0;
  if (body->inputs.size() != num_carried + 2) {
    cf::fail(node, fmt::format("body takes {} inputs but the loop passes {} (2 + {} carried)",
                               body->inputs.size(), num_carried + 2, num_carried));
  }
  if (body->outputs.size() < num_carried + 1) {
    cf::fail(node, fmt::format("body returns {} outputs, needs at least {}", body->outputs.size(),
                               num_carried + 1));
  }
  const size_t num_scan = body->outputs.size() - 1 - num_carried;
  if (ctx.num_outputs() > num_carried + num_scan) {
    cf::fail(node, fmt::format("node has {} outputs but the body yields {}", ctx.num_outputs(),
                               num_carried + num_scan));
  }

  std::vector<Value> carried;
  carried.reserve(num_carried);
  for (size_t i = 0; i < num_carried; ++i) {
    carried.push_back(ctx.has_input(i + 2) ? ctx.input_value(i + 2).clone() : Value{});
  }
  std::vector<std::vector<Tensor>> scans(num_scan);
  int64_t iter = 0;
  while ((!has_max || iter < max_trips) && (!has_cond || cond)) {
    std::vector<Value> inputs;
    inputs.reserve(num_carried + 2);
    inputs.push_back(Value::from_tensor(Tensor::from_vector<int64_t>({}, {iter})));
    Tensor c(DType::kBool, {});
    c.data<uint8_t>()[0] = cond ? 1 : 0;
    inputs.push_back(Value::from_tensor(std::move(c)));
    for (Value& v : carried) inputs.push_back(std::move(v));
    std::vector<Value> out = ctx.run_subgraph(*body, std::move(inputs));
    if (out.size() != body->outputs.size())
      cf::fail(node, "body returned the wrong number of outputs");
    if (has_cond) {
      if (!out[0].is_tensor() || !out[0].tensor.defined())
        cf::fail(node, "body did not produce cond");
      cond = cf::read_bool_scalar(out[0].tensor, node, "body cond output");
    }
    for (size_t i = 0; i < num_carried; ++i) carried[i] = std::move(out[1 + i]);
    for (size_t k = 0; k < num_scan; ++k) {
      Value& v = out[1 + num_carried + k];
      if (!v.is_tensor() || !v.tensor.defined()) {
        cf::fail(node, fmt::format("scan output {} must be a tensor", k));
      }
      if (!scans[k].empty() &&
          (scans[k][0].shape() != v.tensor.shape() || scans[k][0].dtype() != v.tensor.dtype())) {
        cf::fail(node, fmt::format("scan output {} changes from {} to {} between iterations", k,
                                   shape_to_string(scans[k][0].shape()),
                                   shape_to_string(v.tensor.shape())));
      }
      scans[k].push_back(std::move(v.tensor));
    }
    ++iter;
  }
  for (size_t i = 0; i < num_carried && i < ctx.num_outputs(); ++i) {
    if (ctx.has_output(i)) ctx.set_output_value(i, std::move(carried[i]));
  }
  for (size_t k = 0; k < num_scan && num_carried + k < ctx.num_outputs(); ++k) {
    if (!ctx.has_output(num_carried + k)) continue;
    if (scans[k].empty()) {
      ctx.set_output(num_carried + k, empty_scan_output(body->outputs[1 + num_carried + k]));
      continue;
    }
    std::vector<const Tensor*> parts;
    for (const Tensor& t : scans[k]) parts.push_back(&t);
    ctx.set_output(num_carried + k, cf::stack(parts, 0, node));
  }
}

}  // namespace

void register_loop_kernels(KernelRegistry& registry) {
  registry.add({"Loop", "", 1, 1 << 20, loop_kernel});
}

}  // namespace bog::runtime::ref
