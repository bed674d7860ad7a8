#include "onnx_runtime/batch_split.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <map>
#include <optional>
#include <set>

namespace bog::runtime {
namespace {

// What a value is with respect to the batch.
enum class Role {
  kInvariant,  // the same in every chunk: constants and what depends only on them or on non-batch
               // dims
  kBatch,      // dim 0 indexes independent rows; each sample's rows are one contiguous block
  kShape,      // a small integer vector (or scalar) some of whose elements are the batch size
};

// One element of a small integer vector (a shape being computed).
struct Elem {
  enum Kind { kFixed, kBatchSize, kUnknown } kind = kUnknown;
  std::optional<int64_t> value;  // kFixed, when known
  bool dim = false;              // read off a shape, so never negative
};

struct Info {
  Role role = Role::kInvariant;
  int rank = -1;           // -1: unknown
  bool exact = false;      // kBatch: dim 0 is the batch size itself, not a multiple of it
  bool has_elems = false;  // rank 0 or 1 integer values whose elements are tracked
  std::vector<Elem> elems;
};

Info invariant(int rank = -1) {
  Info i;
  i.rank = rank;
  return i;
}

Info batch(int rank, bool exact) {
  Info i;
  i.role = Role::kBatch;
  i.rank = rank;
  i.exact = exact;
  return i;
}

// A vector (rank 1) or scalar (rank 0) from tracked elements.
Info from_elems(std::vector<Elem> elems, int rank = 1) {
  Info i;
  i.rank = rank;
  i.has_elems = true;
  i.elems = std::move(elems);
  const bool fixed = std::all_of(i.elems.begin(), i.elems.end(),
                                 [](const Elem& e) { return e.kind == Elem::kFixed; });
  i.role = fixed ? Role::kInvariant : Role::kShape;
  return i;
}

Info from_constant(const Tensor& t) {
  Info i = invariant(static_cast<int>(t.rank()));
  const bool integer = t.dtype() == DType::kInt64 || t.dtype() == DType::kInt32;
  if (!integer || t.rank() > 1 || t.numel() > 16 || t.device() != Device::kCpu) return i;
  std::vector<Elem> elems;
  for (int64_t k = 0; k < t.numel(); ++k) {
    const int64_t v = t.dtype() == DType::kInt64 ? t.data<int64_t>()[k] : t.data<int32_t>()[k];
    elems.push_back({Elem::kFixed, v});
  }
  return from_elems(std::move(elems), static_cast<int>(t.rank()));
}

// Known integer values of an invariant input (axes, perm, starts, ...).
std::optional<std::vector<int64_t>> known_values(const Info& i) {
  if (i.role != Role::kInvariant || !i.has_elems) return std::nullopt;
  std::vector<int64_t> v;
  for (const Elem& e : i.elems) {
    if (!e.value) return std::nullopt;
    v.push_back(*e.value);
  }
  return v;
}

std::optional<int64_t> normalize(int64_t axis, int rank) {
  if (rank < 0) return std::nullopt;
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return std::nullopt;
  return axis;
}

struct Failure {
  std::string what;
};

[[noreturn]] void no(std::string what) { throw Failure{std::move(what)}; }

class Analysis {
 public:
  explicit Analysis(const Graph& g) : graph_(g) {}

  BatchSplitCheck run() {
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

 private:
  const Graph& graph_;
  std::map<std::string, Info> infos_;
  const Node* node_ = nullptr;
  std::string lanes_only_;

  void bind_inputs() {
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

  const Info& info(const std::string& name) const {
    const auto it = infos_.find(name);
    if (it == infos_.end()) no(fmt::format("value '{}' is not produced before it is read", name));
    return it->second;
  }

  bool present(size_t k) const { return k < node_->inputs.size() && !node_->inputs[k].empty(); }
  const Info& in(size_t k) const {
    if (!present(k)) no(fmt::format("input {} is missing", k));
    return info(node_->inputs[k]);
  }

  void set_all(const Info& i) {
    for (const std::string& o : node_->outputs) {
      if (!o.empty()) infos_[o] = i;
    }
  }

  void visit(const Node& node) {
    node_ = &node;
    try {
      apply(node);
    } catch (const Failure& f) {
      no(fmt::format("node '{}' ({}): {}", node.name, node.op_type, f.what));
    }
  }

  void apply(const Node& node) {
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
    if (op == "LayerNormalization")
      return along_axis(node.attr_int("axis", -1), /*extra_ok=*/false);
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

  // --- small integer vectors (shape computations) --------------------------------------------

  bool shape_vector_op(const std::string& op) {
    if (op == "Shape") {
      const Info& x = in(0);
      if (x.rank < 0) no("input rank unknown");
      int64_t start = node_->attr_int("start", 0), end = node_->attr_int("end", x.rank);
      if (start < 0) start += x.rank;
      if (end < 0) end += x.rank;
      start = std::clamp<int64_t>(start, 0, x.rank);
      end = std::clamp<int64_t>(end, start, x.rank);
      std::vector<Elem> elems;
      for (int64_t d = start; d < end; ++d) {
        if (d == 0 && x.role == Role::kBatch) {
          elems.push_back({x.exact ? Elem::kBatchSize : Elem::kUnknown, std::nullopt, true});
        } else if (x.has_elems && x.rank == 1) {
          elems.push_back({Elem::kFixed, static_cast<int64_t>(x.elems.size()), true});
        } else {
          elems.push_back({Elem::kFixed, std::nullopt, true});
        }
      }
      set_all(from_elems(std::move(elems)));
      return true;
    }
    if (op == "Size") {
      set_all(from_elems({{in(0).role == Role::kBatch ? Elem::kUnknown : Elem::kFixed, {}}}, 0));
      return true;
    }
    if (op == "ConstantOfShape") {  // a small integer fill (torch's ones/-1 vectors)
      const auto dims = known_values(in(0));
      const Tensor* fill = node_->attr_tensor("value");
      if (dims && dims->size() == 1 && (*dims)[0] >= 0 && (*dims)[0] <= 16 && fill != nullptr &&
          fill->numel() == 1 && fill->dtype() == DType::kInt64) {
        const Elem e{Elem::kFixed, fill->data<int64_t>()[0]};
        set_all(from_elems(std::vector<Elem>(static_cast<size_t>((*dims)[0]), e)));
        return true;
      }
      return false;
    }
    const bool vec_input = present(0) && in(0).has_elems;
    if (!vec_input) return false;
    if (op == "Cast" || op == "Identity") {
      set_all(in(0));
      return true;
    }
    if (op == "Reshape") {  // a shape vector flattened: [-1] or its own length
      const auto target = known_values(in(1));
      const auto n = static_cast<int64_t>(in(0).elems.size());
      if (!target || target->size() != 1 || ((*target)[0] != -1 && (*target)[0] != n)) {
        no("reshape of a shape");
      }
      set_all(from_elems(in(0).elems));
      return true;
    }
    if (op == "Gather") {
      const auto idx = known_values(in(1));
      if (!idx || in(0).rank != 1) no("gather from a shape with unknown indices");
      std::vector<Elem> elems;
      for (const int64_t k : *idx) {
        const int64_t n = static_cast<int64_t>(in(0).elems.size());
        const int64_t j = k < 0 ? k + n : k;
        if (j < 0 || j >= n) no("index out of range");
        elems.push_back(in(0).elems[static_cast<size_t>(j)]);
      }
      set_all(from_elems(std::move(elems), in(1).rank));
      return true;
    }
    if (op == "Unsqueeze" || op == "Squeeze") {
      if (in(0).rank > 1) return false;
      const int rank = op == "Unsqueeze" ? 1 : 0;
      if (op == "Squeeze" && in(0).elems.size() != 1) no("squeeze of a vector");
      set_all(from_elems(in(0).elems, rank));
      return true;
    }
    if (op == "Concat") {
      std::vector<Elem> elems;
      for (size_t k = 0; k < node_->inputs.size(); ++k) {
        if (!present(k)) continue;
        if (!in(k).has_elems) return false;
        elems.insert(elems.end(), in(k).elems.begin(), in(k).elems.end());
      }
      set_all(from_elems(std::move(elems)));
      return true;
    }
    if (op == "Slice") {
      const auto starts = known_values(in(1));
      const auto ends = known_values(in(2));
      if (!starts || !ends || starts->size() != 1 || ends->size() != 1) no("slice of a shape");
      if (present(3) && known_values(in(3)) != std::vector<int64_t>{0}) no("slice of a shape");
      if (present(4) && known_values(in(4)) != std::vector<int64_t>{1})
        no("strided slice of a shape");
      const auto n = static_cast<int64_t>(in(0).elems.size());
      auto clampi = [n](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + n : v, 0, n); };
      const int64_t b = clampi((*starts)[0]), e = std::max(b, clampi((*ends)[0]));
      set_all(from_elems({in(0).elems.begin() + b, in(0).elems.begin() + e}));
      return true;
    }
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
      if (!present(1) || !in(1).has_elems) return false;
      const auto& a = in(0).elems;
      const auto& b = in(1).elems;
      if (a.size() != b.size() && a.size() != 1 && b.size() != 1) no("mismatched shapes");
      std::vector<Elem> elems;
      for (size_t k = 0; k < std::max(a.size(), b.size()); ++k) {
        const Elem& x = a[a.size() == 1 ? 0 : k];
        const Elem& y = b[b.size() == 1 ? 0 : k];
        Elem e;
        if (x.kind == Elem::kFixed && y.kind == Elem::kFixed) {
          e.kind = Elem::kFixed;
          if (x.value && y.value) {
            if (op == "Add") e.value = *x.value + *y.value;
            if (op == "Sub") e.value = *x.value - *y.value;
            if (op == "Mul") e.value = *x.value * *y.value;
            if (op == "Div" && *y.value != 0) e.value = *x.value / *y.value;
          }
        }
        e.dim = x.dim && y.dim && (op == "Add" || op == "Mul");
        elems.push_back(e);
      }
      set_all(from_elems(std::move(elems), std::max(in(0).rank, in(1).rank)));
      return true;
    }
    if (op == "Equal" && present(1) && in(1).has_elems) {
      // torch's expand pattern: Where(Equal(shape, -1), ones, shape). A batch size is never -1.
      std::vector<Elem> elems;
      const auto& a = in(0).elems;
      const auto& b = in(1).elems;
      if (a.size() != b.size() && a.size() != 1 && b.size() != 1) no("mismatched shapes");
      for (size_t k = 0; k < std::max(a.size(), b.size()); ++k) {
        const Elem& x = a[a.size() == 1 ? 0 : k];
        const Elem& y = b[b.size() == 1 ? 0 : k];
        Elem e;
        if (x.value && y.value) {
          e = {Elem::kFixed, *x.value == *y.value ? 1 : 0};
        } else if ((x.dim && y.value && *y.value < 0) || (y.dim && x.value && *x.value < 0)) {
          e = {Elem::kFixed, 0};
        } else if (x.kind == Elem::kFixed && y.kind == Elem::kFixed) {
          e.kind = Elem::kFixed;
        }
        elems.push_back(e);
      }
      set_all(from_elems(std::move(elems), std::max(in(0).rank, in(1).rank)));
      return true;
    }
    if (op == "Where" && present(1) && present(2) && in(1).has_elems && in(2).has_elems) {
      const auto& c = in(0).elems;
      const auto& x = in(1).elems;
      const auto& y = in(2).elems;
      const size_t n = std::max({c.size(), x.size(), y.size()});
      std::vector<Elem> elems;
      for (size_t k = 0; k < n; ++k) {
        const Elem& ck = c[c.size() == 1 ? 0 : k];
        if (!ck.value) no("a batch-dependent condition");
        const auto& pick = *ck.value != 0 ? x : y;
        if (pick.size() != 1 && pick.size() != n) no("mismatched shapes");
        elems.push_back(pick[pick.size() == 1 ? 0 : k]);
      }
      set_all(from_elems(std::move(elems)));
      return true;
    }
    if (in(0).role == Role::kShape) no("a batch-dependent shape flows into it");
    return false;
  }

  // --- batched tensors -----------------------------------------------------------------------

  static bool unary(const std::string& op) {
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

  static bool broadcasting(const std::string& op) {
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

  int rank_in(size_t k) const { return present(k) ? in(k).rank : -1; }

  // The rank of a constant computation's output (-1: unknown), so that later broadcasts can
  // tell whether it could add leading dims in front of the batch.
  int invariant_rank(const Node& node) const {
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
  void same_as_first() {
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
  void broadcast() {
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
  void matmul(size_t a_index, size_t b_index) {
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

  void gather() {
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
  void reshape(const Info& data, size_t shape_index) {
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
    } else if (e[0].kind == Elem::kFixed && e[0].value == 0 &&
               node_->attr_int("allowzero", 0) == 0) {
      exact = data.exact;
    } else if (e[0].kind == Elem::kFixed && e[0].value == -1) {
      exact = false;
    } else {
      no("the leading dim is not the batch");
    }
    set_all(batch(static_cast<int>(e.size()), exact));
  }

  void flatten() {
    const Info& x = in(0);
    const auto axis = normalize(node_->attr_int("axis", 1), x.rank + 1);
    if (!axis || *axis == 0) no("flattens the batch into columns");
    set_all(batch(2, x.exact && *axis == 1));
  }

  void transpose() {
    const Info& x = in(0);
    const std::vector<int64_t> perm = node_->attr_ints("perm");
    if (perm.empty() ? x.rank != 1 : perm[0] != 0) no("moves the batch axis");
    set_all(batch(x.rank, x.exact));
  }

  std::vector<int64_t> axes_of(size_t input, const char* attr) const {
    if (present(input)) {
      const auto v = known_values(in(input));
      if (!v) no("axes unknown");
      return *v;
    }
    if (!node_->has_attr(attr)) no("axes not given");
    return node_->attr_ints(attr);
  }

  void squeeze_unsqueeze(bool unsqueeze) {
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

  void slice() {
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

  void concat() {
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

  void split() {
    const Info& x = in(0);
    if (x.role != Role::kBatch) no("batch-dependent shape data");
    const auto axis = normalize(node_->attr_int("axis", 0), x.rank);
    if (!axis || *axis == 0) no("splits the batch");
    if (present(1) && in(1).role != Role::kInvariant) no("batch-dependent split sizes");
    set_all(batch(x.rank, x.exact));
  }

  void expand() {
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

  void constant_of_shape() {
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
  void along_axis(int64_t axis, bool extra_ok = false) {
    const Info& x = in(0);
    if (x.role != Role::kBatch) no("unbatched data");
    const auto a = normalize(axis, x.rank);
    if (!a || *a == 0) no("normalises across the batch");
    for (size_t k = 1; k < node_->inputs.size(); ++k) {
      if (present(k) && in(k).role != Role::kInvariant && !extra_ok) no("batched parameter");
    }
    set_all(batch(x.rank, x.exact));
  }

  void reduce() {
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

  // --- fused (bog.cpu) and contrib ops -------------------------------------------------------

  // Row-wise ops whose later inputs are constants or batched tensors of the same rank.
  void rowwise(size_t first_extra, size_t last_extra) {
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

  void fused(const Node& node) {
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

  void attention(const Node& node) {
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

  void contrib(const Node& node) {
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
};

}  // namespace

BatchSplitCheck check_batch_split(const Graph& graph) { return Analysis(graph).run(); }

}  // namespace bog::runtime
