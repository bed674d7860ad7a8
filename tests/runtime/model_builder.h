// Test helper: builds small onnx::ModelProtos with the protobuf API, so loader, session and
// control-flow tests describe their graphs in a few lines.
#pragma once

#include <onnx/onnx_pb.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "common/error.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/tensor.h"

namespace bog::runtime::testing {

inline void set_type(onnx::ValueInfoProto* v, int32_t elem_type, const std::vector<int64_t>& dims,
                     bool with_shape = true) {
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(elem_type);
  if (!with_shape) return;
  auto* shape = t->mutable_shape();
  for (const int64_t d : dims) {
    if (d < 0) {
      shape->add_dim()->set_dim_param("N");
    } else {
      shape->add_dim()->set_dim_value(d);
    }
  }
}

inline void add_value_info(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list,
                           const std::string& name, int32_t elem_type,
                           const std::vector<int64_t>& dims) {
  onnx::ValueInfoProto* v = list->Add();
  v->set_name(name);
  set_type(v, elem_type, dims);
}

inline onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op,
                                 std::vector<std::string> inputs, std::vector<std::string> outputs,
                                 const std::string& name = "") {
  onnx::NodeProto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name.empty() ? op + "_" + std::to_string(g->node_size()) : name);
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return n;
}

inline onnx::AttributeProto* add_int_attr(onnx::NodeProto* n, const std::string& name, int64_t v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
  return a;
}

inline onnx::AttributeProto* add_ints_attr(onnx::NodeProto* n, const std::string& name,
                                           std::vector<int64_t> v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (const int64_t x : v) a->add_ints(x);
  return a;
}

inline onnx::GraphProto* add_graph_attr(onnx::NodeProto* n, const std::string& name) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::GRAPH);
  a->mutable_g()->set_name(name);
  return a->mutable_g();
}

inline onnx::TensorProto* add_float_initializer(onnx::GraphProto* g, const std::string& name,
                                                const std::vector<int64_t>& dims,
                                                const std::vector<float>& values) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (const int64_t d : dims) t->add_dims(d);
  for (const float v : values) t->add_float_data(v);
  return t;
}

// An empty model: IR 8, default opset 17, graph "g".
inline onnx::ModelProto empty_model(int64_t ir_version = 8, int64_t opset = 17) {
  onnx::ModelProto m;
  m.set_ir_version(ir_version);
  m.set_producer_name("bog-test");
  auto* imp = m.add_opset_import();
  imp->set_domain("");
  imp->set_version(opset);
  m.mutable_graph()->set_name("g");
  return m;
}

// x[N,3] float -> Add(x, bias) -> Relu -> y. A valid model the malformed tests start from.
inline onnx::ModelProto add_relu_model() {
  onnx::ModelProto m = empty_model();
  onnx::GraphProto* g = m.mutable_graph();
  add_value_info(g->mutable_input(), "x", onnx::TensorProto::FLOAT, {-1, 3});
  add_float_initializer(g, "bias", {3}, {1.0f, -2.0f, 0.5f});
  add_node(g, "Add", {"x", "bias"}, {"sum"}, "add");
  add_node(g, "Relu", {"sum"}, {"y"}, "relu");
  add_value_info(g->mutable_output(), "y", onnx::TensorProto::FLOAT, {-1, 3});
  auto* meta = m.add_metadata_props();
  meta->set_key("architecture");
  meta->set_value("test");
  return m;
}

inline Model load(const onnx::ModelProto& m, const std::filesystem::path& dir = ".") {
  return load_model_from_bytes(m.SerializeAsString(), dir);
}

}  // namespace bog::runtime::testing
