// Helpers the cpu provider's fusion passes share: matching a node by op type through values
// with one reader, building the fused node, and splicing it into the graph.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "onnx_runtime/graph.h"
#include "onnx_runtime/providers/cpu/passes/graph_index.h"

namespace bog::runtime::cpu {

// |v - want| <= tol * max(1, |want|).
bool near(std::optional<double> v, double want, double tol = 1e-4);

// The node producing `value` if it has the given op type (default domain), runs on cpu, and
// `value` has exactly one reader; its index goes to *index.
const Node* single_use_producer(const Graph& g, const GraphIndex& idx, const std::string& value,
                                const char* op_type, size_t* index = nullptr);
// The node producing `value` with the given op type on cpu, however many readers it has.
const Node* producer_of(const Graph& g, const GraphIndex& idx, const std::string& value,
                        const char* op_type, size_t* index = nullptr);
// The one node reading `value`, if it has the given op type and runs on cpu.
const Node* sole_consumer(const Graph& g, const GraphIndex& idx, const std::string& value,
                          const char* op_type, size_t* index);
// The input of a binary node that is not `known`, or "" if `known` is not one of its inputs.
std::string other_input(const Node& n, const std::string& known);
// A constant int64 initializer's values.
std::optional<std::vector<int64_t>> int_initializer(const Graph& g, const std::string& name);
// The perm attribute of a Transpose node (empty when absent).
std::vector<int64_t> transpose_perm(const Node& n);

// A bog.cpu node named after `last`, producing `last`'s first output.
Node fused_node(std::string op_type, const Node& last, std::vector<std::string> inputs);
Attribute float_attr(const std::string& name, float v);
Attribute int_attr(const std::string& name, int64_t v);
Attribute string_attr(const std::string& name, std::string v);

// Replaces the nodes in `dead` by `fused`, which takes the slot of the last of them (so the
// graph stays topologically sorted: every input of the fused node is produced before it).
void apply(Graph& g, const std::set<size_t>& dead, Node fused);

}  // namespace bog::runtime::cpu
