// The batch-separability analysis behind check_batch_split (batch_split.h), shared by its files:
//   batch_split.cpp                 the walk over the graph: inputs, each node's dispatch, outputs
//   batch_split/shape_values.cpp    small integer vectors (Shape, Gather/Concat/... on shapes)
//   batch_split/batched_ops.cpp     the standard ops on batched tensors
//   batch_split/fused_ops.cpp       the cpu provider's fused ops (bog.cpu) and contrib ops
// Each value gets an Info: invariant, batched (dim 0 indexes samples) or a shape vector whose
// elements may be the batch size; a node the rules cannot vouch for ends the analysis with its
// reason (no()).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "onnx_runtime/batch_split.h"
#include "onnx_runtime/graph.h"

namespace bog::runtime::separability {

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

inline Info invariant(int rank = -1) {
  Info i;
  i.rank = rank;
  return i;
}

inline Info batch(int rank, bool exact) {
  Info i;
  i.role = Role::kBatch;
  i.rank = rank;
  i.exact = exact;
  return i;
}

// A vector (rank 1) or scalar (rank 0) from tracked elements.
inline Info from_elems(std::vector<Elem> elems, int rank = 1) {
  Info i;
  i.rank = rank;
  i.has_elems = true;
  i.elems = std::move(elems);
  const bool fixed = std::all_of(i.elems.begin(), i.elems.end(),
                                 [](const Elem& e) { return e.kind == Elem::kFixed; });
  i.role = fixed ? Role::kInvariant : Role::kShape;
  return i;
}

inline Info from_constant(const Tensor& t) {
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
inline std::optional<std::vector<int64_t>> known_values(const Info& i) {
  if (i.role != Role::kInvariant || !i.has_elems) return std::nullopt;
  std::vector<int64_t> v;
  for (const Elem& e : i.elems) {
    if (!e.value) return std::nullopt;
    v.push_back(*e.value);
  }
  return v;
}

inline std::optional<int64_t> normalize(int64_t axis, int rank) {
  if (rank < 0) return std::nullopt;
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return std::nullopt;
  return axis;
}

struct Failure {
  std::string what;
};

[[noreturn]] inline void no(std::string what) { throw Failure{std::move(what)}; }

class Analysis {
 public:
  explicit Analysis(const Graph& g) : graph_(g) {}
  BatchSplitCheck run();

 private:
  const Graph& graph_;
  std::map<std::string, Info> infos_;
  const Node* node_ = nullptr;
  std::string lanes_only_;

  // batch_split.cpp: the walk and what every rule reads
  void bind_inputs();
  const Info& info(const std::string& name) const;
  const Info& in(size_t k) const;
  void set_all(const Info& i);
  void visit(const Node& node);
  void apply(const Node& node);
  bool present(size_t k) const { return k < node_->inputs.size() && !node_->inputs[k].empty(); }
  int rank_in(size_t k) const { return present(k) ? in(k).rank : -1; }

  // batch_split/shape_values.cpp: false when the op is not a shape computation here
  bool shape_vector_op(const std::string& op);

  // batch_split/batched_ops.cpp
  static bool unary(const std::string& op);
  static bool broadcasting(const std::string& op);
  int invariant_rank(const Node& node) const;
  void same_as_first();
  void broadcast();
  void matmul(size_t a_index, size_t b_index);
  void gather();
  void reshape(const Info& data, size_t shape_index);
  void flatten();
  void transpose();
  std::vector<int64_t> axes_of(size_t input, const char* attr) const;
  void squeeze_unsqueeze(bool unsqueeze);
  void slice();
  void concat();
  void split();
  void expand();
  void constant_of_shape();
  void along_axis(int64_t axis, bool extra_ok = false);
  void reduce();

  // batch_split/fused_ops.cpp
  void rowwise(size_t first_extra, size_t last_extra);
  void fused(const Node& node);
  void attention(const Node& node);
  void contrib(const Node& node);
};

}  // namespace bog::runtime::separability
