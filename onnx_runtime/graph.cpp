#include "onnx_runtime/graph.h"

#include <fmt/format.h>

#include "common/error.h"

namespace bog::runtime {
namespace {

const Attribute* typed(const Node& node, std::string_view name, Attribute::Type want,
                       const char* want_name) {
  const Attribute* a = node.attr(name);
  if (a == nullptr) return nullptr;
  if (a->type != want) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': attribute '{}' must be of type {}", node.op_type,
                            node.name, name, want_name));
  }
  return a;
}

}  // namespace

const Attribute* Node::attr(std::string_view name) const {
  for (const Attribute& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

int64_t Node::attr_int(std::string_view name, int64_t fallback) const {
  const Attribute* a = typed(*this, name, Attribute::Type::kInt, "int");
  return a ? a->i : fallback;
}

float Node::attr_float(std::string_view name, float fallback) const {
  const Attribute* a = typed(*this, name, Attribute::Type::kFloat, "float");
  return a ? a->f : fallback;
}

std::string Node::attr_string(std::string_view name, std::string fallback) const {
  const Attribute* a = typed(*this, name, Attribute::Type::kString, "string");
  return a ? a->s : fallback;
}

std::vector<int64_t> Node::attr_ints(std::string_view name, std::vector<int64_t> fallback) const {
  const Attribute* a = typed(*this, name, Attribute::Type::kInts, "ints");
  return a ? a->ints : fallback;
}

std::vector<float> Node::attr_floats(std::string_view name, std::vector<float> fallback) const {
  const Attribute* a = typed(*this, name, Attribute::Type::kFloats, "floats");
  return a ? a->floats : fallback;
}

std::vector<std::string> Node::attr_strings(std::string_view name,
                                            std::vector<std::string> fallback) const {
  const Attribute* a = typed(*this, name, Attribute::Type::kStrings, "strings");
  return a ? a->strings : fallback;
}

const Tensor* Node::attr_tensor(std::string_view name) const {
  const Attribute* a = typed(*this, name, Attribute::Type::kTensor, "tensor");
  return a ? a->t.get() : nullptr;
}

const Graph* Node::attr_graph(std::string_view name) const {
  const Attribute* a = typed(*this, name, Attribute::Type::kGraph, "graph");
  return a ? a->g.get() : nullptr;
}

const ValueInfo* Graph::find_input(std::string_view name) const {
  for (const ValueInfo& v : inputs) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

}  // namespace bog::runtime
