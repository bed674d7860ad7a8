// What a kernel sees: its node (attributes, opset), its input values and where its outputs go.
// A kernel is a function of a KernelContext; providers create one per node at session start.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "onnx_runtime/graph.h"
#include "onnx_runtime/value.h"

namespace bog::runtime {

class KernelContext {
 public:
  // Runs a subgraph (If/Loop/Scan bodies) with the given inputs; names the subgraph does not
  // define are read from the enclosing scope. Returns the subgraph's outputs in order.
  using SubgraphRunner = std::function<std::vector<Value>(const Graph&, std::vector<Value>)>;

  KernelContext(const Node& node, std::vector<const Value*> inputs, size_t num_outputs,
                SubgraphRunner runner = {});

  const Node& node() const { return node_; }
  int opset() const { return node_.opset; }

  size_t num_inputs() const { return inputs_.size(); }
  // False for an omitted optional input (empty name or beyond the given inputs).
  bool has_input(size_t i) const { return i < inputs_.size() && inputs_[i] != nullptr; }
  // The tensor at input i; Error(kInvalidModel) if absent or not a tensor.
  const Tensor& input(size_t i) const;
  const Value& input_value(size_t i) const;

  size_t num_outputs() const { return outputs_.size(); }
  // False when the node leaves output i unnamed (an optional output nobody asked for).
  bool has_output(size_t i) const;
  // Allocates output i (zeroed) and returns it for the kernel to fill.
  Tensor& allocate_output(size_t i, DType dtype, Shape shape);
  void set_output(size_t i, Tensor t);
  void set_output_value(size_t i, Value v);

  std::vector<Value> run_subgraph(const Graph& graph, std::vector<Value> inputs) const;

  // For the session: takes the produced outputs.
  std::vector<Value>& outputs() { return outputs_; }

 private:
  const Node& node_;
  std::vector<const Value*> inputs_;
  std::vector<Value> outputs_;
  SubgraphRunner runner_;
};

using KernelFn = std::function<void(KernelContext&)>;

// A kernel implementation for one op over an inclusive opset range. Kernels follow the ONNX
// spec of every version in [since_version, until_version] (attribute vs input forms included).
struct KernelDef {
  std::string op_type;
  std::string domain;  // "" = default ONNX domain
  int since_version = 1;
  int until_version = 1 << 20;
  KernelFn compute;
};

class KernelRegistry {
 public:
  void add(KernelDef def);
  // The def covering (op_type, domain, opset), or nullptr.
  const KernelDef* find(std::string_view op_type, std::string_view domain, int opset) const;
  // Why find() failed, e.g. "op Foo not implemented" or "op Foo implemented for opsets 1-12, model uses 13".
  std::string why_not(std::string_view op_type, std::string_view domain, int opset) const;
  std::vector<std::string> op_types() const;

 private:
  std::vector<KernelDef> defs_;
};

}  // namespace bog::runtime
