// If: runs then_branch or else_branch (no inputs; they read the outer scope) and forwards the
// branch's outputs, which may be tensors, sequences or optionals.
#include <fmt/format.h>

#include "onnx_runtime/providers/reference/kernels/control_flow_kernels.h"

namespace bog::runtime::ref {
namespace {

void if_kernel(KernelContext& ctx) {
  const Node& node = ctx.node();
  const bool cond = cf::read_bool_scalar(ctx.input(0), node, "cond");
  const char* branch_name = cond ? "then_branch" : "else_branch";
  const Graph* branch = node.attr_graph(branch_name);
  if (branch == nullptr) cf::fail(node, fmt::format("missing attribute '{}'", branch_name));
  std::vector<Value> outputs = ctx.run_subgraph(*branch, {});
  if (outputs.size() != ctx.num_outputs()) {
    cf::fail(node, fmt::format("{} returns {} outputs but the node has {}", branch_name,
                               outputs.size(), ctx.num_outputs()));
  }
  for (size_t i = 0; i < outputs.size(); ++i) ctx.set_output_value(i, std::move(outputs[i]));
}

}  // namespace

void register_if_kernels(KernelRegistry& registry) {
  registry.add({"If", "", 1, 1 << 20, if_kernel});
}

}  // namespace bog::runtime::ref
