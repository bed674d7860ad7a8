// The interpreter's IR: a Model owns a Graph of Nodes; values are named by strings as in ONNX.
// Built by the loader from onnx::ModelProto; providers rewrite it in optimize().
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "onnx_runtime/tensor.h"
#include "onnx_runtime/value.h"

namespace bog::runtime {

struct Graph;

// One dimension of a declared shape: a fixed size, a symbolic name, or unknown.
struct Dim {
  int64_t value = -1;  // >= 0 when fixed
  std::string param;   // e.g. "batch"; empty when fixed or unknown
};

// Declared type of a graph input/output/value_info (onnx.TypeProto).
struct TypeInfo {
  ValueKind kind = ValueKind::kTensor;
  DType elem_type = DType::kUndefined;  // kTensor
  bool has_shape = false;
  std::vector<Dim> shape;
  std::shared_ptr<TypeInfo> element;  // kSequence / kOptional: the contained type
};

struct ValueInfo {
  std::string name;
  TypeInfo type;
};

struct Attribute {
  enum class Type { kUndefined, kFloat, kInt, kString, kTensor, kGraph, kFloats, kInts, kStrings,
                    kTensors, kGraphs, kTypeProto };
  std::string name;
  Type type = Type::kUndefined;
  float f = 0.0f;
  int64_t i = 0;
  std::string s;
  std::shared_ptr<Tensor> t;
  std::shared_ptr<Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<std::shared_ptr<Tensor>> tensors;
  std::vector<std::shared_ptr<Graph>> graphs;
  TypeInfo type_proto;
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;                // "" is the default ONNX domain (also "ai.onnx")
  int opset = 0;                     // the model's opset for this node's domain
  std::vector<std::string> inputs;   // "" marks an omitted optional input
  std::vector<std::string> outputs;  // "" marks an unrequested optional output
  std::vector<Attribute> attributes;
  std::string provider;              // set by placement

  const Attribute* attr(std::string_view name) const;
  bool has_attr(std::string_view name) const { return attr(name) != nullptr; }
  // Typed getters: default when absent; Error(kInvalidModel) when present with the wrong type.
  int64_t attr_int(std::string_view name, int64_t fallback) const;
  float attr_float(std::string_view name, float fallback) const;
  std::string attr_string(std::string_view name, std::string fallback) const;
  std::vector<int64_t> attr_ints(std::string_view name, std::vector<int64_t> fallback = {}) const;
  std::vector<float> attr_floats(std::string_view name, std::vector<float> fallback = {}) const;
  std::vector<std::string> attr_strings(std::string_view name,
                                        std::vector<std::string> fallback = {}) const;
  const Tensor* attr_tensor(std::string_view name) const;  // nullptr when absent
  const Graph* attr_graph(std::string_view name) const;    // nullptr when absent
};

struct Graph {
  std::string name;
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::vector<ValueInfo> value_infos;
  std::map<std::string, Tensor> initializers;
  std::vector<Node> nodes;  // topologically sorted by the loader
  std::map<std::string, int> opsets;  // domain ("" for default) -> version; shared with subgraphs

  const ValueInfo* find_input(std::string_view name) const;
  bool is_initializer(std::string_view name) const { return initializers.count(std::string(name)); }
};

struct Model {
  int64_t ir_version = 0;
  std::string producer_name;
  std::string producer_version;
  std::vector<std::pair<std::string, std::string>> metadata;  // metadata_props, in file order
  Graph graph;
  std::filesystem::path directory;  // where external data is resolved from
};

}  // namespace bog::runtime
