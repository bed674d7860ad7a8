// Static element types and ranks: see static_types.h. One rule per op family, conservative: a
// rule that cannot be sure leaves the rank (or a dim) unknown rather than guess.
#include "onnx_runtime/providers/cpu/passes/static_types.h"

#include <algorithm>
#include <set>

#include "onnx_runtime/providers/cpu/cpu_provider.h"

namespace bog::runtime::cpu {
namespace {

StaticType of_tensor(const Tensor& t) {
  StaticType s;
  s.dtype = t.dtype();
  s.rank = static_cast<int>(t.rank());
  s.dims.assign(t.shape().begin(), t.shape().end());
  return s;
}

StaticType of_info(const TypeInfo& t) {
  StaticType s;
  if (t.kind != ValueKind::kTensor) return s;
  s.dtype = t.elem_type;
  if (!t.has_shape) return s;
  s.rank = static_cast<int>(t.shape.size());
  for (const Dim& d : t.shape) s.dims.push_back(d.value >= 0 ? d.value : -1);
  return s;
}

StaticType with_rank(DType dtype, int rank) {
  StaticType s;
  s.dtype = dtype;
  if (rank >= 0) {
    s.rank = rank;
    s.dims.assign(static_cast<size_t>(rank), -1);
  }
  return s;
}

// Shape-preserving ops: the output has input 0's type, rank and dims.
const std::set<std::string> kSameAsInput0 = {"Identity",    "Neg",        "Abs",
                                             "Sqrt",        "Exp",        "Log",
                                             "Erf",         "Tanh",       "Sigmoid",
                                             "Relu",        "Reciprocal", "Softmax",
                                             "LogSoftmax",  "Trilu",      "Clip",
                                             "Dropout",     "Floor",      "Ceil",
                                             "Round",       "Sin",        "Cos",
                                             "Softplus",    "LeakyRelu",  "Elu",
                                             "HardSigmoid", "Gelu",       "LayerNormalization",
                                             "Not",         "IsNaN",      "IsInf",
                                             "Sign"};
// The bog.cpu fused ops that keep input 0's type and shape.
const std::set<std::string> kFusedSameAsInput0 = {"Gelu", "Silu", "RmsNorm", "Rope"};
// Elementwise with broadcasting; the comparisons give bool.
const std::set<std::string> kBroadcast = {"Add", "Sub", "Mul", "Div",  "Pow",   "Max",
                                          "Min", "Mod", "Sum", "Mean", "Where", "PRelu"};
const std::set<std::string> kCompare = {"Equal",          "Less", "Greater", "LessOrEqual",
                                        "GreaterOrEqual", "And",  "Or",      "Xor"};
const std::set<std::string> kReduce = {"ReduceMean", "ReduceSum",       "ReduceMax",
                                       "ReduceMin",  "ReduceProd",      "ReduceL1",
                                       "ReduceL2",   "ReduceSumSquare", "ReduceLogSumExp"};

int64_t broadcast_dim(const std::vector<int64_t>& ds) {
  int64_t out = 1;
  bool unknown = false;
  for (const int64_t d : ds) {
    if (d < 0) {
      unknown = true;
    } else if (d != 1) {
      out = d;
    }
  }
  return out != 1 ? out : (unknown ? -1 : 1);
}

std::optional<std::vector<int64_t>> ints_of(const Graph& g, const Node& n, size_t input,
                                            const char* attr, int attr_before_opset) {
  if (n.opset < attr_before_opset) {
    if (!n.has_attr(attr)) return std::nullopt;
    return n.attr_ints(attr);
  }
  if (n.inputs.size() <= input || n.inputs[input].empty()) return std::nullopt;
  const auto it = g.initializers.find(n.inputs[input]);
  if (it == g.initializers.end() || it->second.dtype() != DType::kInt64) return std::nullopt;
  const auto s = it->second.span<int64_t>();
  return std::vector<int64_t>(s.begin(), s.end());
}

}  // namespace

StaticTypes::StaticTypes(const Graph& graph) {
  for (const auto& [name, t] : graph.initializers) types_[name] = of_tensor(t);
  for (const ValueInfo& v : graph.inputs) {
    const StaticType s = of_info(v.type);
    if (s.dtype != DType::kUndefined || s.rank >= 0) types_[v.name] = s;
  }
  for (const Node& n : graph.nodes) infer(graph, n);
  // value_info fills what the rules left unknown.
  for (const ValueInfo& v : graph.value_infos) {
    StaticType& t = types_[v.name];
    const StaticType s = of_info(v.type);
    if (t.dtype == DType::kUndefined) t.dtype = s.dtype;
    if (t.rank < 0 && s.rank >= 0) {
      t.rank = s.rank;
      t.dims = s.dims;
    }
  }
}

const StaticType& StaticTypes::of(const std::string& value) const {
  const auto it = types_.find(value);
  return it == types_.end() ? unknown_ : it->second;
}

std::optional<int> StaticTypes::rank(const std::string& value) const {
  const int r = of(value).rank;
  return r >= 0 ? std::optional<int>(r) : std::nullopt;
}

void StaticTypes::infer(const Graph& g, const Node& n) {
  if (n.outputs.empty() || n.outputs[0].empty()) return;
  const auto in = [&](size_t i) -> const StaticType& {
    return i < n.inputs.size() ? of(n.inputs[i]) : unknown_;
  };
  // The first known element type among the inputs (ops whose inputs share one type T).
  const auto first_dtype = [&]() {
    for (const std::string& v : n.inputs) {
      if (!v.empty() && of(v).dtype != DType::kUndefined) return of(v).dtype;
    }
    return DType::kUndefined;
  };
  // The length of a 1-D shape input (its only dim), -1 when not fixed.
  const auto length_of = [&](size_t i) -> int {
    const StaticType& s = in(i);
    return s.rank == 1 && s.dims[0] >= 0 ? static_cast<int>(s.dims[0]) : -1;
  };
  const std::string& op = n.op_type;
  StaticType out;
  if (n.domain == kCpuFusedDomain) {
    if (kFusedSameAsInput0.count(op)) {
      out = in(0);
    } else if (op == "FusedMatMul") {
      out = with_rank(first_dtype(), std::max(in(0).rank, in(1).rank));
      if (in(0).rank < 2 || in(1).rank < 2) out = with_rank(first_dtype(), -1);
    } else if (op == "Attention" && n.attr_int("merged", 0) == 0) {
      out = with_rank(in(0).dtype, in(0).rank);
    } else if (op == "DynamicQuantizeMatMul") {
      out = with_rank(DType::kFloat32, in(0).rank);
    }
    types_[n.outputs[0]] = out;
    return;
  }
  // The quantizer's contrib ops (quant/README.md): without them a quantized decoder's K/V
  // would have no known rank and its cache could not be appended in place.
  if (n.domain == "com.microsoft") {
    if (op == "MatMulNBits") {
      types_[n.outputs[0]] = with_rank(in(0).dtype, in(0).rank);
    } else if (op == "GatherBlockQuantized" && in(0).rank >= 1 && in(1).rank >= 0) {
      types_[n.outputs[0]] = with_rank(in(2).dtype, in(0).rank + in(1).rank - 1);
    }
    return;
  }
  if (!n.domain.empty()) return;
  if (kSameAsInput0.count(op)) {
    out = in(0);
  } else if (op == "Cast") {
    out = in(0);
    out.dtype = static_cast<DType>(n.attr_int("to", 0));
  } else if (op == "CastLike") {
    out = in(0);
    out.dtype = in(1).dtype;
  } else if (kBroadcast.count(op) || kCompare.count(op)) {
    int rank = 0;
    for (const std::string& v : n.inputs) {
      if (rank >= 0) rank = of(v).rank < 0 ? -1 : std::max(rank, of(v).rank);
    }
    const DType dt = kCompare.count(op) ? DType::kBool
                     : op == "Where"    ? in(1).dtype
                                        : first_dtype();
    out = with_rank(dt, n.inputs.empty() ? -1 : rank);
    for (int a = 0; a < out.rank; ++a) {
      std::vector<int64_t> ds;
      for (const std::string& v : n.inputs) {
        const StaticType& s = of(v);
        const int k = s.rank - (out.rank - a);
        ds.push_back(k >= 0 ? s.dims[static_cast<size_t>(k)] : 1);
      }
      out.dims[static_cast<size_t>(a)] = broadcast_dim(ds);
    }
  } else if (op == "Shape") {
    out = with_rank(DType::kInt64, 1);
    const int r = in(0).rank;
    if (r >= 0) {
      auto clamp = [r](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + r : v, 0, r); };
      out.dims[0] =
          std::max<int64_t>(0, clamp(n.attr_int("end", r)) - clamp(n.attr_int("start", 0)));
    }
  } else if (op == "Size") {
    out = with_rank(DType::kInt64, 0);
  } else if (op == "Transpose") {
    const std::vector<int64_t> perm = n.attr_ints("perm");
    out = with_rank(in(0).dtype, perm.empty() ? in(0).rank : static_cast<int>(perm.size()));
    if (in(0).rank == out.rank && !perm.empty()) {
      for (size_t a = 0; a < perm.size(); ++a) {
        if (perm[a] >= 0 && perm[a] < out.rank)
          out.dims[a] = in(0).dims[static_cast<size_t>(perm[a])];
      }
    }
  } else if (op == "Reshape") {
    out = with_rank(in(0).dtype, length_of(1));
    const auto spec = ints_of(g, n, 1, "shape", 5);
    if (spec && static_cast<int>(spec->size()) == out.rank) {
      for (size_t a = 0; a < spec->size(); ++a) {
        const int64_t d = (*spec)[a];
        if (d > 0) out.dims[a] = d;
        if (d == 0 && n.attr_int("allowzero", 0) == 0 && static_cast<int>(a) < in(0).rank)
          out.dims[a] = in(0).dims[a];
      }
      // One -1 in the spec: the input's element count over the other dims, when all are fixed.
      int64_t numel = in(0).rank >= 0 ? 1 : -1, known = 1;
      for (const int64_t d : in(0).dims) numel = d < 0 || numel < 0 ? -1 : numel * d;
      int infer_at = -1, unknown = 0;
      for (size_t a = 0; a < spec->size(); ++a) {
        if ((*spec)[a] == -1) infer_at = static_cast<int>(a);
        if (out.dims[a] < 0) {
          ++unknown;
        } else {
          known *= out.dims[a];
        }
      }
      if (numel >= 0 && infer_at >= 0 && unknown == 1 && known > 0 && numel % known == 0)
        out.dims[static_cast<size_t>(infer_at)] = numel / known;
    }
  } else if (op == "Unsqueeze" || op == "Squeeze") {
    const auto axes = ints_of(g, n, 1, "axes", 13);
    const int r = in(0).rank;
    if (axes && r >= 0) {
      const int r_out = op == "Unsqueeze" ? r + static_cast<int>(axes->size())
                                          : r - static_cast<int>(axes->size());
      const int r_axes = op == "Unsqueeze" ? r_out : r;
      std::set<int64_t> at;
      bool in_range = true;
      for (const int64_t a : *axes) {
        const int64_t x = a < 0 ? a + r_axes : a;
        in_range = in_range && x >= 0 && x < r_axes;
        at.insert(x);
      }
      if (in_range && r_out >= 0 && static_cast<int>(at.size()) == static_cast<int>(axes->size())) {
        out = with_rank(in(0).dtype, r_out);
        std::vector<int64_t> dims;
        if (op == "Unsqueeze") {
          for (int64_t a = 0, k = 0; a < r_out; ++a) {
            dims.push_back(at.count(a) ? 1 : in(0).dims[static_cast<size_t>(k++)]);
          }
        } else {
          for (int64_t a = 0; a < r; ++a) {
            if (!at.count(a)) dims.push_back(in(0).dims[static_cast<size_t>(a)]);
          }
        }
        if (static_cast<int>(dims.size()) == r_out) out.dims = dims;
      } else {
        out = with_rank(in(0).dtype, -1);
      }
    } else {
      out = with_rank(in(0).dtype, -1);
    }
  } else if (op == "Gather") {
    const int rd = in(0).rank, ri = in(1).rank;
    out = with_rank(in(0).dtype, rd >= 1 && ri >= 0 ? rd - 1 + ri : -1);
    int64_t axis = n.attr_int("axis", 0);
    if (out.rank >= 0 && axis < 0) axis += rd;
    if (out.rank >= 0 && axis >= 0 && axis < rd) {
      std::vector<int64_t> dims(in(0).dims.begin(), in(0).dims.begin() + axis);
      dims.insert(dims.end(), in(1).dims.begin(), in(1).dims.end());
      dims.insert(dims.end(), in(0).dims.begin() + axis + 1, in(0).dims.end());
      out.dims = dims;
    }
  } else if (op == "Concat") {
    out = with_rank(first_dtype(), in(0).rank);
    int64_t axis = n.attr_int("axis", 0);
    if (out.rank > 0 && axis < 0) axis += out.rank;
    if (out.rank > 0 && axis >= 0 && axis < out.rank) {
      int64_t sum = 0;
      for (const std::string& v : n.inputs) {
        const StaticType& s = of(v);
        if (s.rank != out.rank || s.dims[static_cast<size_t>(axis)] < 0) {
          sum = -1;
          break;
        }
        sum += s.dims[static_cast<size_t>(axis)];
      }
      out.dims[static_cast<size_t>(axis)] = sum;
    }
  } else if (op == "Slice" || op == "Split" || op == "Tile" || op == "Pad") {
    out = with_rank(in(0).dtype, in(0).rank);
  } else if (op == "Expand") {
    const int len = length_of(1);
    out = with_rank(in(0).dtype, in(0).rank >= 0 && len >= 0 ? std::max(in(0).rank, len) : -1);
  } else if (op == "ConstantOfShape") {
    const Tensor* v = n.attr_tensor("value");
    out = with_rank(v != nullptr ? v->dtype() : DType::kFloat32, length_of(0));
  } else if (op == "Range") {
    out = with_rank(first_dtype(), 1);
  } else if (op == "MatMul") {
    const int ra = in(0).rank, rb = in(1).rank;
    int r = -1;
    if (ra >= 2 && rb >= 2) r = std::max(ra, rb);
    if (ra == 1 && rb >= 2) r = rb - 1;
    if (ra >= 2 && rb == 1) r = ra - 1;
    out = with_rank(first_dtype(), r);
  } else if (op == "MatMulInteger") {
    const int ra = in(0).rank, rb = in(1).rank;
    out = with_rank(DType::kInt32, ra >= 2 && rb == 2 ? ra : -1);
  } else if (op == "DequantizeLinear") {
    out = with_rank(n.inputs.size() > 1 ? in(1).dtype : DType::kFloat32, in(0).rank);
  } else if (op == "DynamicQuantizeLinear") {
    types_[n.outputs[0]] = with_rank(DType::kUint8, in(0).rank);
    if (n.outputs.size() > 1) types_[n.outputs[1]] = with_rank(DType::kFloat32, 0);
    if (n.outputs.size() > 2) types_[n.outputs[2]] = with_rank(DType::kUint8, 0);
    return;
  } else if (op == "Gemm" || op == "Flatten") {
    out = with_rank(first_dtype(), 2);
  } else if (kReduce.count(op)) {
    const bool keep = n.attr_int("keepdims", 1) != 0;
    const auto axes = ints_of(g, n, 1, "axes", op == "ReduceSum" ? 13 : 18);
    const int r = in(0).rank;
    out = with_rank(in(0).dtype,
                    keep ? r : (axes && r >= 0 ? r - static_cast<int>(axes->size()) : -1));
  } else if (op == "Constant") {
    if (const Tensor* v = n.attr_tensor("value")) out = of_tensor(*v);
  }
  types_[n.outputs[0]] = out;
  if (op == "Split") {
    for (size_t i = 1; i < n.outputs.size(); ++i) types_[n.outputs[i]] = out;
  }
}

}  // namespace bog::runtime::cpu
