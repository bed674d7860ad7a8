// A small builder over onnx::GraphProto: unique value names, typed initializers and nodes with
// attributes, so an exporter reads like the forward pass it mirrors.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace bog::onnx_export {

onnx::AttributeProto attr_int(const std::string& name, int64_t v);
onnx::AttributeProto attr_ints(const std::string& name, const std::vector<int64_t>& v);
onnx::AttributeProto attr_float(const std::string& name, float v);
onnx::AttributeProto attr_string(const std::string& name, const std::string& v);

class GraphBuilder {
 public:
  explicit GraphBuilder(onnx::GraphProto* graph) : graph_(graph) {}

  // float32 initializer with the given dims (row-major data); returns its name.
  std::string weight(const std::string& name, std::span<const float> data,
                     const std::vector<int64_t>& dims);
  std::string scalar(float v);                                   // float32 [] constant
  std::string ints(const std::vector<int64_t>& v);               // int64 [n] constant

  // Adds a node; returns the name of its single output ("<hint>_<n>").
  std::string op(const std::string& op_type, const std::vector<std::string>& inputs,
                 const std::vector<onnx::AttributeProto>& attrs = {}, const std::string& hint = "");
  // Names the graph output: renames the last node output `value` to `name`.
  void rename_output(const std::string& value, const std::string& name);

  onnx::GraphProto* graph() { return graph_; }

 private:
  std::string fresh(const std::string& hint);
  onnx::GraphProto* graph_;
  int counter_ = 0;
};

}  // namespace bog::onnx_export
