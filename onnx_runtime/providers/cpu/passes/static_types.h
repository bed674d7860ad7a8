// What the fusion passes can know about a value before any run: its element type and rank, and
// the dims that are fixed (the length of a 1-D shape tensor built by Shape/Unsqueeze/Concat).
// Computed once over the graph in topological order from the declared inputs, the initializers,
// value_info and a rule per op; anything no rule covers stays unknown. A pass checks its
// kernel's preconditions against these (see fuse_attention.cpp) and leaves the nodes alone where
// they are unknown.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "onnx_runtime/graph.h"

namespace bog::runtime::cpu {

struct StaticType {
  DType dtype = DType::kUndefined;  // kUndefined: not known
  int rank = -1;                    // -1: not known
  std::vector<int64_t> dims;        // rank entries when rank >= 0; -1 for a dim not fixed
};

class StaticTypes {
 public:
  explicit StaticTypes(const Graph& graph);
  // Unknown (dtype kUndefined, rank -1) for a value no rule reached.
  const StaticType& of(const std::string& value) const;
  std::optional<int> rank(const std::string& value) const;
  bool is(const std::string& value, DType dtype) const { return of(value).dtype == dtype; }

 private:
  void infer(const Graph& graph, const Node& node);
  std::map<std::string, StaticType> types_;
  StaticType unknown_;
};

}  // namespace bog::runtime::cpu
