// Scan (opset 9+): iterates a body over slices of the scan inputs along their scan axes,
// threading N state values; each scan output is stacked along its output axis. Opset 8's
// form, with a leading batch axis and a sequence_lens input, is run as a batch of opset-9 scans.
#include <fmt/format.h>

#include <algorithm>

#include "onnx_runtime/providers/reference/kernels/control_flow_kernels.h"

namespace bog::runtime::ref {
namespace {

int64_t normalized(int64_t axis, int64_t rank, const Node& node, const char* what) {
  if (axis < -rank || axis >= rank) {
    cf::fail(node, fmt::format("{} {} out of range for rank {}", what, axis, rank));
  }
  return axis < 0 ? axis + rank : axis;
}

// One scan over already batch-free inputs. Returns N final states then K scan outputs.
std::vector<Value> scan_once(KernelContext& ctx, const Graph& body, std::vector<Value> states,
                             const std::vector<const Tensor*>& scan_inputs,
                             const std::vector<int64_t>& in_axes,
                             const std::vector<int64_t>& in_dirs, size_t num_outputs_k,
                             std::vector<int64_t> out_axes, const std::vector<int64_t>& out_dirs) {
  const Node& node = ctx.node();
  const size_t n = states.size();
  const size_t m = scan_inputs.size();
  int64_t length = -1;
  std::vector<int64_t> axes(m);
  for (size_t j = 0; j < m; ++j) {
    axes[j] = normalized(in_axes[j], scan_inputs[j]->rank(), node, "scan_input_axes");
    const int64_t len = scan_inputs[j]->dim(axes[j]);
    if (length >= 0 && len != length) {
      cf::fail(node,
               fmt::format("scan inputs disagree on the sequence length ({} vs {})", length, len));
    }
    length = len;
  }
  if (length < 0) length = 0;
  std::vector<std::vector<Tensor>> outs(num_outputs_k);
  for (int64_t it = 0; it < length; ++it) {
    std::vector<Value> inputs;
    inputs.reserve(n + m);
    for (Value& s : states) inputs.push_back(std::move(s));
    for (size_t j = 0; j < m; ++j) {
      const int64_t idx = in_dirs[j] == 1 ? length - 1 - it : it;
      inputs.push_back(Value::from_tensor(cf::take_slice(*scan_inputs[j], axes[j], idx)));
    }
    std::vector<Value> result = ctx.run_subgraph(body, std::move(inputs));
    if (result.size() != n + num_outputs_k)
      cf::fail(node, "body returned the wrong number of outputs");
    for (size_t i = 0; i < n; ++i) states[i] = std::move(result[i]);
    for (size_t k = 0; k < num_outputs_k; ++k) {
      Value& v = result[n + k];
      if (!v.is_tensor() || !v.tensor.defined()) cf::fail(node, "scan outputs must be tensors");
      if (!outs[k].empty() && outs[k][0].shape() != v.tensor.shape()) {
        cf::fail(node, fmt::format("scan output {} changes shape between iterations", k));
      }
      outs[k].push_back(std::move(v.tensor));
    }
  }
  std::vector<Value> results = std::move(states);
  for (size_t k = 0; k < num_outputs_k; ++k) {
    if (outs[k].empty()) {
      const ValueInfo& declared = body.outputs[n + k];
      const DType dt =
          declared.type.elem_type == DType::kUndefined ? DType::kFloat32 : declared.type.elem_type;
      results.push_back(Value::from_tensor(Tensor(dt, {0})));
      continue;
    }
    if (out_dirs[k] == 1) std::reverse(outs[k].begin(), outs[k].end());
    const int64_t rank = outs[k][0].rank() + 1;
    const int64_t axis = normalized(out_axes[k], rank, node, "scan_output_axes");
    std::vector<const Tensor*> parts;
    for (const Tensor& t : outs[k]) parts.push_back(&t);
    results.push_back(Value::from_tensor(cf::stack(parts, axis, node)));
  }
  return results;
}

std::vector<int64_t> attr_or(const Node& node, const char* name, size_t count, int64_t fill) {
  std::vector<int64_t> v = node.attr_ints(name, std::vector<int64_t>(count, fill));
  if (v.size() != count) {
    cf::fail(node,
             fmt::format("attribute '{}' has {} entries, expected {}", name, v.size(), count));
  }
  return v;
}

void scan_kernel(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Graph* body = node.attr_graph("body");
  if (body == nullptr) cf::fail(node, "missing attribute 'body'");
  const int64_t m_attr = node.attr_int("num_scan_inputs", -1);
  const bool v8 = ctx.opset() < 9;
  const size_t first = v8 ? 1 : 0;  // opset 8: input 0 is the optional sequence_lens
  const size_t total = ctx.num_inputs() - first;
  if (m_attr < 1 || static_cast<size_t>(m_attr) > total) {
    cf::fail(node, fmt::format("num_scan_inputs {} does not fit {} inputs", m_attr, total));
  }
  const auto m = static_cast<size_t>(m_attr);
  const size_t n = total - m;
  if (body->outputs.size() < n) cf::fail(node, "body returns fewer outputs than states");
  const size_t k = body->outputs.size() - n;
  const std::vector<int64_t> in_dirs =
      attr_or(node, v8 ? "directions" : "scan_input_directions", m, 0);
  const std::vector<int64_t> in_axes =
      v8 ? std::vector<int64_t>(m, 0) : attr_or(node, "scan_input_axes", m, 0);
  const std::vector<int64_t> out_dirs =
      v8 ? std::vector<int64_t>(k, 0) : attr_or(node, "scan_output_directions", k, 0);
  const std::vector<int64_t> out_axes =
      v8 ? std::vector<int64_t>(k, 0) : attr_or(node, "scan_output_axes", k, 0);

  if (!v8) {
    std::vector<Value> states;
    for (size_t i = 0; i < n; ++i) states.push_back(ctx.input_value(i).clone());
    std::vector<const Tensor*> scans;
    for (size_t j = 0; j < m; ++j) scans.push_back(&ctx.input(n + j));
    std::vector<Value> results =
        scan_once(ctx, *body, std::move(states), scans, in_axes, in_dirs, k, out_axes, out_dirs);
    for (size_t i = 0; i < results.size() && i < ctx.num_outputs(); ++i) {
      ctx.set_output_value(i, std::move(results[i]));
    }
    return;
  }
  // Opset 8: every state and scan input has a leading batch axis; run each batch entry alone,
  // honouring sequence_lens, and stack the results.
  const Tensor& first_state = n > 0 ? ctx.input(first) : ctx.input(first + n);
  const int64_t batch = first_state.rank() > 0 ? first_state.dim(0) : 0;
  std::vector<std::vector<Tensor>> per_output(n + k);
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<Value> states;
    for (size_t i = 0; i < n; ++i) {
      states.push_back(Value::from_tensor(cf::take_slice(ctx.input(first + i), 0, b)));
    }
    std::vector<Tensor> slices;
    for (size_t j = 0; j < m; ++j) {
      Tensor s = cf::take_slice(ctx.input(first + n + j), 0, b);
      if (ctx.has_input(0)) {
        const Tensor& lens = ctx.input(0);
        if (lens.numel() != batch) cf::fail(node, "sequence_lens must have one entry per batch");
        const int64_t len =
            lens.dtype() == DType::kInt32 ? lens.data<int32_t>()[b] : lens.data<int64_t>()[b];
        if (len < 0 || len > s.dim(0)) cf::fail(node, "sequence_lens entry out of range");
        s = cf::take_range(s, 0, 0, len);
      }
      slices.push_back(std::move(s));
    }
    std::vector<const Tensor*> scans;
    for (const Tensor& s : slices) scans.push_back(&s);
    std::vector<Value> results =
        scan_once(ctx, *body, std::move(states), scans, in_axes, in_dirs, k, out_axes, out_dirs);
    for (size_t i = 0; i < results.size(); ++i)
      per_output[i].push_back(std::move(results[i].tensor));
  }
  for (size_t i = 0; i < per_output.size() && i < ctx.num_outputs(); ++i) {
    if (per_output[i].empty()) continue;
    std::vector<const Tensor*> parts;
    for (const Tensor& t : per_output[i]) parts.push_back(&t);
    ctx.set_output(i, cf::stack(parts, 0, node));
  }
}

}  // namespace

void register_scan_kernels(KernelRegistry& registry) {
  registry.add({"Scan", "", 8, 1 << 20, scan_kernel});
}

}  // namespace bog::runtime::ref
