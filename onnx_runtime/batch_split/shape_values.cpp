// Shape computations on small integer vectors: which elements are the batch size (analysis.h).
#include <fmt/format.h>

#include <algorithm>

#include "onnx_runtime/batch_split/analysis.h"

namespace bog::runtime::separability {

bool Analysis::shape_vector_op(const std::string& op) {
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

}  // namespace bog::runtime::separability
