// What a kernel sees: its node (attributes, opset), its input values and where its outputs go.
// A kernel is a function of a KernelContext; providers create one per node at session start.
#pragma once

#include <functional>
#include <initializer_list>
#include <span>
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

  // Outputs are kept in the context (outputs()).
  KernelContext(const Node& node, std::vector<const Value*> inputs, size_t num_outputs,
                SubgraphRunner runner = {});
  // Outputs are written straight into the caller's values (the session's value slots);
  // a null entry is an output nobody reads, kept in the context.
  KernelContext(const Node& node, std::vector<const Value*> inputs, std::vector<Value*> outputs,
                SubgraphRunner runner = {});
  KernelContext(const KernelContext&) = delete;
  KernelContext& operator=(const KernelContext&) = delete;

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
  // Output i, zero-filled, for the kernel to fill.
  Tensor& allocate_output(size_t i, DType dtype, std::span<const int64_t> shape);
  Tensor& allocate_output(size_t i, DType dtype, std::initializer_list<int64_t> shape);
  // Output i with unspecified contents, for kernels that write every element. Under a memory
  // plan this is the planned buffer and nothing is allocated.
  Tensor& output_uninit(size_t i, DType dtype, std::span<const int64_t> shape);
  Tensor& output_uninit(size_t i, DType dtype, std::initializer_list<int64_t> shape) {
    return output_uninit(i, dtype, std::span<const int64_t>(shape.begin(), shape.size()));
  }
  void set_output(size_t i, Tensor t);
  void set_output_value(size_t i, Value v);

  std::vector<Value> run_subgraph(const Graph& graph, std::vector<Value> inputs) const;

  // For the session ---------------------------------------------------------------------
  // Outputs kept in the context (the first constructor, or unread outputs of the second).
  std::vector<Value>& outputs() { return owned_; }
  Value& output_value(size_t i) { return *outputs_[i]; }
  // Planned buffers, one per output (null: none); allocate_output/output_uninit hand them out
  // when the dtype and shape match, or with `stretching`, when the dtype matches and the
  // output's bytes fit (the output is then the front of the buffer). The array must outlive
  // the next kernel call.
  void set_planned(const Tensor* const* planned, bool stretching = false) {
    planned_ = planned;
    stretching_ = stretching;
  }
  // Whether output i came from allocate_output/output_uninit in the last call (plannable).
  bool output_was_placed(size_t i) const { return i < 64 && ((placed_ >> i) & 1u); }
  void clear_placed() { placed_ = 0; }

 private:
  Tensor& place_output(size_t i, DType dtype, std::span<const int64_t> shape, bool zero);
  void check_output_index(size_t i) const;

  const Node& node_;
  std::vector<const Value*> inputs_;
  std::vector<Value> owned_;
  std::vector<Value*> outputs_;
  SubgraphRunner runner_;
  const Tensor* const* planned_ = nullptr;
  bool stretching_ = false;
  uint64_t placed_ = 0;
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
