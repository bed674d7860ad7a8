// The cpu provider's fused ops (bog.cpu) and the contrib ops on batched tensors (analysis.h).
#include <fmt/format.h>

#include "onnx_runtime/batch_split/analysis.h"

namespace bog::runtime::separability {

// Row-wise ops whose later inputs are constants or batched tensors of the same rank.
void Analysis::rowwise(size_t first_extra, size_t last_extra) {
  const Info& x = in(0);
  if (x.role != Role::kBatch || x.rank < 1) no("unbatched data");
  for (size_t k = first_extra; k < node_->inputs.size() && k <= last_extra; ++k) {
    if (!present(k)) continue;
    const Info& i = in(k);
    if (i.role == Role::kShape) no("batch-dependent parameter");
    if (i.role == Role::kBatch && i.rank != x.rank) no("batched operand of another rank");
  }
  for (size_t k = last_extra + 1; k < node_->inputs.size(); ++k) {
    if (present(k) && in(k).role != Role::kInvariant) no("batch-dependent parameter");
  }
  set_all(batch(x.rank, x.exact));
}

void Analysis::fused(const Node& node) {
  const std::string& op = node.op_type;
  if (op == "DynamicQuantizeMatMul") {
    // Row-wise but for X's per-tensor scale, which lanes share (W's scale and zero point are
    // constants, like the weight).
    for (size_t k = 5; k < node.inputs.size(); ++k) {
      if (present(k) && in(k).role != Role::kInvariant) no("batch-dependent weight scale");
    }
    lanes_only_ = "DynamicQuantizeMatMul's activation scale is computed over the whole batch";
  }
  if (op == "FusedMatMul" || op == "DynamicQuantizeMatMul") {
    matmul(0, 1);
    const Info out = info(node.outputs[0]);
    for (size_t k = 2; k < node.inputs.size() && k < 5; ++k) {  // bias, residual, multiplier
      if (!present(k)) continue;
      const Info& i = in(k);
      if (i.role == Role::kShape) no("batch-dependent parameter");
      if (i.role == Role::kBatch && i.rank != out.rank) no("batched operand of another rank");
    }
    return;
  }
  if (op == "RmsNorm" || op == "Gelu" || op == "Silu") return rowwise(1, node.inputs.size());
  if (op == "Rope") return rowwise(1, 2);
  if (op == "Attention") return attention(node);
  no("fused op not known to keep samples apart");
}

void Analysis::attention(const Node& node) {
  bool exact = true;
  for (size_t k = 0; k < 3; ++k) {
    const Info& i = in(k);
    if (i.role != Role::kBatch || i.rank != 4) no("q, k, v must be batched");
    exact = exact && i.exact;
  }
  if (present(3)) {
    const Info& bias = in(3);
    if (bias.role == Role::kShape || (bias.role == Role::kBatch && bias.rank != 4)) {
      no("the mask is not per sample");
    }
  }
  for (size_t k = 5; k < node.inputs.size(); ++k) {
    if (present(k) && !in(k).has_elems) no("grouped-KV shapes unknown");
  }
  if (node.attr_int("merged", 0) == 0) {
    set_all(batch(4, exact));
    return;
  }
  if (!present(4)) {
    set_all(batch(3, exact));
    return;
  }
  reshape(batch(4, exact), 4);
}

void Analysis::contrib(const Node& node) {
  if (node.op_type == "MatMulNBits") {  // B is the packed constant [N, blocks, bytes]
    if (in(0).role != Role::kBatch || in(0).rank < 2) no("unbatched data");
    return rowwise(1, 0);  // every later input constant
  }
  if (node.op_type == "GatherBlockQuantized") {
    if (in(0).role == Role::kInvariant && in(1).role == Role::kBatch &&
        node.attr_int("gather_axis", 0) == 0) {
      set_all(batch(in(0).rank - 1 + in(1).rank, in(1).exact));
      return;
    }
    no("gathers across the batch");
  }
  no("contrib op not known to keep samples apart");
}

}  // namespace bog::runtime::separability
