// check_batch_split (batch_split.h): walks the graph once, each node through the rules of
// batch_split/analysis.h; this file holds the walk and the dispatch by op.
#include "onnx_runtime/batch_split.h"

#include <fmt/format.h>

#include <set>

#include "onnx_runtime/batch_split/analysis.h"

namespace bog::runtime {
namespace separability {

BatchSplitCheck Analysis::run() {
  try {
    bind_inputs();
    for (const Node& node : graph_.nodes) visit(node);
    for (const ValueInfo& out : graph_.outputs) {
      const Info& i = info(out.name);
      if (i.role != Role::kBatch || !i.exact) {
        no(fmt::format("output '{}' is not indexed by the batch", out.name));
      }
    }
  } catch (const Failure& f) {
    return {false, f.what, ""};
  }
  return {true, "", lanes_only_};
}

void Analysis::bind_inputs() {
  for (const auto& [name, t] : graph_.initializers) infos_[name] = from_constant(t);
  std::string batch_dim;
  int batched = 0;
  for (const ValueInfo& in : graph_.inputs) {
    if (graph_.is_initializer(in.name)) continue;
    const TypeInfo& t = in.type;
    if (t.kind != ValueKind::kTensor || !t.has_shape || t.shape.empty() ||
        t.shape[0].param.empty()) {
      no(fmt::format("input '{}' has no symbolic leading dimension", in.name));
    }
    if (!batch_dim.empty() && t.shape[0].param != batch_dim) {
      no(fmt::format("inputs lead with different dimensions ('{}', '{}')", batch_dim,
                     t.shape[0].param));
    }
    batch_dim = t.shape[0].param;
    infos_[in.name] = batch(static_cast<int>(t.shape.size()), true);
    ++batched;
  }
  if (batched == 0) no("the model has no batched input");
}

const Info& Analysis::info(const std::string& name) const {
  const auto it = infos_.find(name);
  if (it == infos_.end()) no(fmt::format("value '{}' is not produced before it is read", name));
  return it->second;
}

const Info& Analysis::in(size_t k) const {
  if (!present(k)) no(fmt::format("input {} is missing", k));
  return info(node_->inputs[k]);
}

void Analysis::set_all(const Info& i) {
  for (const std::string& o : node_->outputs) {
    if (!o.empty()) infos_[o] = i;
  }
}

void Analysis::visit(const Node& node) {
  node_ = &node;
  try {
    apply(node);
  } catch (const Failure& f) {
    no(fmt::format("node '{}' ({}): {}", node.name, node.op_type, f.what));
  }
}

void Analysis::apply(const Node& node) {
  for (const Attribute& a : node.attributes) {
    if (a.g || !a.graphs.empty()) no("it has a subgraph");
  }
  const std::string& op = node.op_type;
  if (op == "Constant") {
    const Tensor* t = node.attr_tensor("value");
    set_all(t != nullptr ? from_constant(*t) : invariant());
    return;
  }
  if (node.domain.empty() && shape_vector_op(op)) return;
  bool touches_batch = false;
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    if (present(k) && in(k).role != Role::kInvariant) touches_batch = true;
  }
  if (!touches_batch) {
    static const std::set<std::string> kRandom = {"RandomNormal",     "RandomUniform",
                                                  "RandomNormalLike", "RandomUniformLike",
                                                  "Bernoulli",        "Multinomial"};
    if (kRandom.count(op)) no("it is random");
    set_all(invariant(invariant_rank(node)));
    return;
  }
  if (node.domain == "bog.cpu") return fused(node);
  if (node.domain == "com.microsoft") return contrib(node);
  if (!node.domain.empty()) no("unknown domain");
  if (unary(op)) return same_as_first();
  if (broadcasting(op)) return broadcast();
  if (op == "MatMul") return matmul(0, 1);
  if (op == "Gemm") {
    if (node.attr_int("transA", 0) != 0) no("transA");
    matmul(0, 1);
    if (present(2) && in(2).role != Role::kInvariant) no("batched C");
    return;
  }
  if (op == "Gather") return gather();
  if (op == "Reshape") return reshape(in(0), 1);
  if (op == "Flatten") return flatten();
  if (op == "Transpose") return transpose();
  if (op == "Squeeze" || op == "Unsqueeze") return squeeze_unsqueeze(op == "Unsqueeze");
  if (op == "Slice") return slice();
  if (op == "Concat") return concat();
  if (op == "Split") return split();
  if (op == "Expand") return expand();
  if (op == "ConstantOfShape") return constant_of_shape();
  if (op == "Softmax" || op == "LogSoftmax" || op == "Hardmax") {
    const int64_t fallback = node.opset >= 13 ? -1 : 1;
    return along_axis(node.attr_int("axis", fallback));
  }
  if (op == "LayerNormalization") return along_axis(node.attr_int("axis", -1), /*extra_ok=*/false);
  if (op.rfind("Reduce", 0) == 0 || op == "ArgMax" || op == "ArgMin") return reduce();
  if (op == "Dropout") {
    const Info& x = in(0);
    set_all(batch(x.rank, x.exact));
    return;
  }
  if (op == "DequantizeLinear" || op == "QuantizeLinear") {
    for (size_t k = 1; k < node.inputs.size(); ++k) {
      if (present(k) && in(k).role != Role::kInvariant) no("batched scale or zero point");
    }
    if (in(0).role != Role::kBatch) no("unbatched data");
    const auto axis = normalize(node.attr_int("axis", 1), in(0).rank);
    if (axis && *axis == 0 && !(present(1) && in(1).rank == 0)) no("quantized along the batch");
    return same_as_first();
  }
  if (op == "DynamicQuantizeLinear") {
    // Its scale is the whole batch's: only the cpu provider's kernel meets the other lanes to
    // compute it (lane_reduction.h). Every lane then holds the same scale and zero point.
    if (node.provider != "cpu") no("its scale is computed over the whole batch");
    if (in(0).role != Role::kBatch) no("unbatched data");
    lanes_only_ = "DynamicQuantizeLinear's scale is computed over the whole batch";
    const Info x = in(0);
    if (!node.outputs.empty() && !node.outputs[0].empty()) {
      infos_[node.outputs[0]] = batch(x.rank, x.exact);
    }
    for (size_t k = 1; k < node.outputs.size(); ++k) {
      if (!node.outputs[k].empty()) infos_[node.outputs[k]] = invariant(0);
    }
    return;
  }
  no("not known to keep samples apart");
}

}  // namespace separability

BatchSplitCheck check_batch_split(const Graph& graph) {
  return separability::Analysis(graph).run();
}

}  // namespace bog::runtime
