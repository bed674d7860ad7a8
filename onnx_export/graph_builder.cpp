#include "onnx_export/graph_builder.h"

#include <fmt/format.h>

#include <cstring>

#include "common/error.h"

namespace bog::onnx_export {

onnx::AttributeProto attr_int(const std::string& name, int64_t v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(v);
  return a;
}

onnx::AttributeProto attr_ints(const std::string& name, const std::vector<int64_t>& v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INTS);
  for (const int64_t x : v) a.add_ints(x);
  return a;
}

onnx::AttributeProto attr_float(const std::string& name, float v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::FLOAT);
  a.set_f(v);
  return a;
}

onnx::AttributeProto attr_string(const std::string& name, const std::string& v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::STRING);
  a.set_s(v);
  return a;
}

std::string GraphBuilder::fresh(const std::string& hint) {
  return fmt::format("{}_{}", hint.empty() ? "v" : hint, counter_++);
}

std::string GraphBuilder::weight(const std::string& name, std::span<const float> data,
                                 const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (const int64_t d : dims) n *= d;
  if (n != static_cast<int64_t>(data.size())) {
    throw Error(ErrorCategory::kInternal,
                fmt::format("export: weight '{}' has {} values for {} elements", name, data.size(), n));
  }
  onnx::TensorProto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (const int64_t d : dims) t->add_dims(d);
  // raw_data is little-endian float32, which is this machine's layout.
  t->set_raw_data(std::string(reinterpret_cast<const char*>(data.data()), data.size() * sizeof(float)));
  return name;
}

std::string GraphBuilder::scalar(float v) {
  const std::string name = fresh("const");
  onnx::TensorProto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_float_data(v);
  return name;
}

std::string GraphBuilder::ints(const std::vector<int64_t>& v) {
  const std::string name = fresh("ints");
  onnx::TensorProto* t = graph_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(static_cast<int64_t>(v.size()));
  for (const int64_t x : v) t->add_int64_data(x);
  return name;
}

std::string GraphBuilder::op(const std::string& op_type, const std::vector<std::string>& inputs,
                             const std::vector<onnx::AttributeProto>& attrs,
                             const std::string& hint) {
  onnx::NodeProto* n = graph_->add_node();
  const std::string out = fresh(hint.empty() ? op_type : hint);
  n->set_op_type(op_type);
  n->set_name(out + "_node");
  for (const std::string& in : inputs) n->add_input(in);
  n->add_output(out);
  for (const onnx::AttributeProto& a : attrs) *n->add_attribute() = a;
  return out;
}

void GraphBuilder::rename_output(const std::string& value, const std::string& name) {
  for (onnx::NodeProto& n : *graph_->mutable_node()) {
    for (std::string& out : *n.mutable_output()) {
      if (out == value) out = name;
    }
    for (std::string& in : *n.mutable_input()) {
      if (in == value) in = name;
    }
  }
}

}  // namespace bog::onnx_export
