// The standard ONNX ops on batched tensors: which keep samples apart, and how (analysis.h).
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <set>

#include "onnx_runtime/batch_split/analysis.h"

namespace bog::runtime::separability {

bool Analysis::unary(const std::string& op) {
  static const std::set<std::string> kOps = {"Cast",      "Identity",    "Neg",
                                             "Sqrt",      "Sigmoid",     "Relu",
                                             "Erf",       "Tanh",        "Exp",
                                             "Log",       "Abs",         "Reciprocal",
                                             "Not",       "Floor",       "Ceil",
                                             "Round",     "Sign",        "Sin",
                                             "Cos",       "Softplus",    "Softsign",
                                             "LeakyRelu", "Elu",         "Selu",
                                             "Gelu",      "HardSigmoid", "HardSwish",
                                             "Mish",      "IsNaN",       "IsInf",
                                             "Clip",      "CastLike",    "ThresholdedRelu",
                                             "Celu"};
  return kOps.count(op) > 0;
}

bool Analysis::broadcasting(const std::string& op) {
  static const std::set<std::string> kOps = {"Add",
                                             "Sub",
                                             "Mul",
                                             "Div",
                                             "Pow",
                                             "Where",
                                             "Equal",
                                             "Less",
                                             "LessOrEqual",
                                             "Greater",
                                             "GreaterOrEqual",
                                             "And",
                                             "Or",
                                             "Xor",
                                             "Max",
                                             "Min",
                                             "Mod",
                                             "Sum",
                                             "Mean",
                                             "PRelu",
                                             "BitShift"};
  return kOps.count(op) > 0;
}

// The rank of a constant computation's output (-1: unknown), so that later broadcasts can
// tell whether it could add leading dims in front of the batch.
int Analysis::invariant_rank(const Node& node) const {
  const std::string& op = node.op_type;
  if (!node.domain.empty()) return -1;
  if (unary(op) || op == "Slice" || op == "Transpose" || op == "Softmax" || op == "Concat" ||
      op == "Trilu" || op == "CumSum") {
    return rank_in(0);
  }
  if (broadcasting(op) || op == "MatMul") {
    int r = -1;
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      if (!present(k)) continue;
      if (in(k).rank < 0) return -1;
      r = std::max(r, in(k).rank);
    }
    return r;
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    const Info* axes = present(1) ? &in(1) : nullptr;
    const auto n = axes != nullptr && axes->has_elems
                       ? static_cast<int>(axes->elems.size())
                       : static_cast<int>(node.attr_ints("axes").size());
    if (rank_in(0) < 0 || (axes == nullptr && !node.has_attr("axes"))) return -1;
    return op == "Unsqueeze" ? rank_in(0) + n : rank_in(0) - n;
  }
  if (op == "Reshape" || op == "ConstantOfShape" || op == "Expand") {
    const Info& shape = in(op == "ConstantOfShape" ? 0 : 1);
    if (!shape.has_elems) return -1;
    const int len = static_cast<int>(shape.elems.size());
    return op == "Expand" ? (rank_in(0) < 0 ? -1 : std::max(rank_in(0), len)) : len;
  }
  if (op == "Gather") return rank_in(0) < 0 || rank_in(1) < 0 ? -1 : rank_in(0) - 1 + rank_in(1);
  if (op == "Range") return 1;
  return -1;
}

// Extra inputs (after the first) must not depend on the batch (Clip's bounds, CastLike's target).
void Analysis::same_as_first() {
  const Info& x = in(0);
  if (x.role != Role::kBatch) no("unbatched data with batched parameters");
  for (size_t k = 1; k < node_->inputs.size(); ++k) {
    if (present(k) && in(k).role != Role::kInvariant && node_->op_type != "CastLike") {
      no("batched parameter");
    }
  }
  set_all(batch(x.rank, x.exact));
}

// Numpy broadcasting: every batched operand must have the output's rank (its dim 0 is then
// the output's dim 0); unbatched ones broadcast into it.
void Analysis::broadcast() {
  int rank = -1;
  for (size_t k = 0; k < node_->inputs.size(); ++k) {
    if (!present(k)) continue;
    if (in(k).rank < 0) no("operand rank unknown");
    rank = std::max(rank, in(k).rank);
  }
  bool exact = true;
  for (size_t k = 0; k < node_->inputs.size(); ++k) {
    if (!present(k)) continue;
    const Info& i = in(k);
    if (i.role == Role::kShape) no("a batch-dependent shape is used as data");
    if (i.role == Role::kBatch) {
      if (i.rank != rank) no("a batched operand is broadcast along another's batch");
      exact = exact && i.exact;
    }
  }
  set_all(batch(rank, exact));
}

// A·B with A batched by rows and B constant (or both batched with the same rank >= 3).
void Analysis::matmul(size_t a_index, size_t b_index) {
  const Info& a = in(a_index);
  const Info& b = in(b_index);
  if (a.role == Role::kShape || b.role == Role::kShape) no("shape data");
  if (a.rank < 2 || b.rank < 1) no("operand rank unknown or 1-D");
  if (a.role == Role::kBatch && b.role == Role::kInvariant) {
    if (b.rank > a.rank) no("the weight's leading dims broadcast over the batch");
    set_all(batch(a.rank, a.exact));
    return;
  }
  if (a.role == Role::kBatch && b.role == Role::kBatch && a.rank == b.rank && a.rank >= 3) {
    set_all(batch(a.rank, a.exact && b.exact));
    return;
  }
  no("the batched operand is not the left one");
}

void Analysis::gather() {
  const Info& data = in(0);
  const Info& idx = in(1);
  if (data.rank < 0 || idx.rank < 0) no("rank unknown");
  const auto axis = normalize(node_->attr_int("axis", 0), data.rank);
  if (!axis) no("bad axis");
  const int rank = data.rank - 1 + idx.rank;
  if (data.role == Role::kInvariant && idx.role == Role::kBatch && *axis == 0) {
    set_all(batch(rank, idx.exact));
    return;
  }
  if (data.role == Role::kBatch && idx.role == Role::kInvariant && *axis != 0) {
    set_all(batch(rank, data.exact));
    return;
  }
  no("gathers across the batch");
}

// The target shape keeps dim 0: the batch size itself, 0 (copy), or -1 with every other
// element fixed (then dim 0 is a multiple of the batch: rows stay grouped by sample).
void Analysis::reshape(const Info& data, size_t shape_index) {
  const Info& shape = in(shape_index);
  if (!shape.has_elems) no("target shape unknown");
  if (data.role != Role::kBatch) {
    if (shape.role == Role::kInvariant) {
      set_all(invariant(static_cast<int>(shape.elems.size())));
      return;
    }
    no("reshapes a constant by the batch size");
  }
  const auto& e = shape.elems;
  if (e.empty()) no("reshape to a scalar");
  for (size_t k = 1; k < e.size(); ++k) {
    if (e[k].kind != Elem::kFixed) no("a non-leading dim depends on the batch size");
  }
  bool exact = false;
  if (e[0].kind == Elem::kBatchSize) {
    exact = true;
  } else if (e[0].kind == Elem::kFixed && e[0].value == 0 && node_->attr_int("allowzero", 0) == 0) {
    exact = data.exact;
  } else if (e[0].kind == Elem::kFixed && e[0].value == -1) {
    exact = false;
  } else {
    no("the leading dim is not the batch");
  }
  set_all(batch(static_cast<int>(e.size()), exact));
}

void Analysis::flatten() {
  const Info& x = in(0);
  const auto axis = normalize(node_->attr_int("axis", 1), x.rank + 1);
  if (!axis || *axis == 0) no("flattens the batch into columns");
  set_all(batch(2, x.exact && *axis == 1));
}

void Analysis::transpose() {
  const Info& x = in(0);
  const std::vector<int64_t> perm = node_->attr_ints("perm");
  if (perm.empty() ? x.rank != 1 : perm[0] != 0) no("moves the batch axis");
  set_all(batch(x.rank, x.exact));
}

std::vector<int64_t> Analysis::axes_of(size_t input, const char* attr) const {
  if (present(input)) {
    const auto v = known_values(in(input));
    if (!v) no("axes unknown");
    return *v;
  }
  if (!node_->has_attr(attr)) no("axes not given");
  return node_->attr_ints(attr);
}

void Analysis::squeeze_unsqueeze(bool unsqueeze) {
  const Info& x = in(0);
  if (x.role != Role::kBatch) no("batch-dependent shape data");
  const std::vector<int64_t> axes = axes_of(1, "axes");
  const int out_rank =
      unsqueeze ? x.rank + static_cast<int>(axes.size()) : x.rank - static_cast<int>(axes.size());
  for (const int64_t a : axes) {
    const auto n = normalize(a, unsqueeze ? out_rank : x.rank);
    if (!n || *n == 0) no("touches the batch axis");
  }
  set_all(batch(out_rank, x.exact));
}

void Analysis::slice() {
  const Info& x = in(0);
  if (x.role != Role::kBatch) no("batch-dependent shape data");
  for (size_t k = 1; k < node_->inputs.size(); ++k) {
    if (present(k) && in(k).role != Role::kInvariant) no("batch-dependent bounds");
  }
  if (!present(3)) no("slices every axis from 0");
  for (const int64_t a : axes_of(3, "axes")) {
    const auto n = normalize(a, x.rank);
    if (!n || *n == 0) no("slices the batch axis");
  }
  set_all(batch(x.rank, x.exact));
}

void Analysis::concat() {
  int rank = -1;
  bool exact = true;
  for (size_t k = 0; k < node_->inputs.size(); ++k) {
    if (!present(k)) continue;
    const Info& i = in(k);
    if (i.role != Role::kBatch) no("joins batched and unbatched tensors");
    if (rank >= 0 && i.rank != rank) no("ranks differ");
    rank = i.rank;
    exact = exact && i.exact;
  }
  const auto axis = normalize(node_->attr_int("axis", 0), rank);
  if (!axis || *axis == 0) no("concatenates along the batch");
  set_all(batch(rank, exact));
}

void Analysis::split() {
  const Info& x = in(0);
  if (x.role != Role::kBatch) no("batch-dependent shape data");
  const auto axis = normalize(node_->attr_int("axis", 0), x.rank);
  if (!axis || *axis == 0) no("splits the batch");
  if (present(1) && in(1).role != Role::kInvariant) no("batch-dependent split sizes");
  set_all(batch(x.rank, x.exact));
}

void Analysis::expand() {
  const Info& x = in(0);
  const Info& shape = in(1);
  if (!shape.has_elems || x.rank < 0) no("target shape unknown");
  const int len = static_cast<int>(shape.elems.size());
  const int rank = std::max(x.rank, len);
  for (int k = 1; k < len; ++k) {
    if (shape.elems[static_cast<size_t>(k)].kind != Elem::kFixed) no("batch-dependent dims");
  }
  const Elem& lead = shape.elems.empty() ? Elem{Elem::kFixed, 1} : shape.elems[0];
  if (x.role == Role::kBatch) {
    if (x.rank != rank) no("broadcasts the batch into a new leading dim");
    const bool keeps = len < rank || lead.kind == Elem::kBatchSize ||
                       (lead.kind == Elem::kFixed && lead.value == 1);
    if (!keeps) no("the leading dim is not the batch");
    set_all(batch(rank, x.exact));
    return;
  }
  // A constant repeated once per sample (its own dim 0, if it has one there, can only be 1:
  // it cannot follow the batch size; anything else fails the chunk's run and the session
  // falls back to whole batches).
  if (len == rank && lead.kind == Elem::kBatchSize) {
    set_all(batch(rank, true));
    return;
  }
  no("expands a constant along an unknown leading dim");
}

void Analysis::constant_of_shape() {
  const Info& shape = in(0);
  if (!shape.has_elems || shape.elems.empty() || shape.elems[0].kind != Elem::kBatchSize) {
    no("the leading dim is not the batch");
  }
  for (size_t k = 1; k < shape.elems.size(); ++k) {
    if (shape.elems[k].kind != Elem::kFixed) no("batch-dependent dims");
  }
  set_all(batch(static_cast<int>(shape.elems.size()), true));
}

// Softmax-like ops along one axis (not the batch); other inputs constant.
void Analysis::along_axis(int64_t axis, bool extra_ok) {
  const Info& x = in(0);
  if (x.role != Role::kBatch) no("unbatched data");
  const auto a = normalize(axis, x.rank);
  if (!a || *a == 0) no("normalises across the batch");
  for (size_t k = 1; k < node_->inputs.size(); ++k) {
    if (present(k) && in(k).role != Role::kInvariant && !extra_ok) no("batched parameter");
  }
  set_all(batch(x.rank, x.exact));
}

void Analysis::reduce() {
  const Info& x = in(0);
  if (x.role != Role::kBatch) no("unbatched data");
  const std::string& op = node_->op_type;
  std::vector<int64_t> axes;
  if (op == "ArgMax" || op == "ArgMin") {
    axes = {node_->attr_int("axis", 0)};
  } else {
    axes = present(1) ? axes_of(1, "axes") : node_->attr_ints("axes");
    if (axes.empty() && node_->attr_int("noop_with_empty_axes", 0) == 0) no("reduces every axis");
  }
  for (const int64_t a : axes) {
    const auto n = normalize(a, x.rank);
    if (!n || *n == 0) no("reduces across the batch");
  }
  const bool keep = node_->attr_int("keepdims", 1) != 0;
  set_all(batch(keep ? x.rank : x.rank - static_cast<int>(axes.size()), x.exact));
}

}  // namespace bog::runtime::separability
