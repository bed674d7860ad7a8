// CpuProvider::prepack (prepacked_weights.h): the FusedMatMul weights packed once, and their
// float32 initializers released where nothing else reads them. On the BERT-base-size export
// the linear weights (340 MB) were held twice after loading, as initializers and as panels.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "onnx_runtime/providers/cpu/cpu_provider.h"
#include "onnx_runtime/providers/cpu/prepacked_weights.h"

namespace bog::runtime {
namespace {

// Every reference to a value by name in `graph` and the graphs nested in its nodes (a subgraph
// may read an outer initializer by name), and the names graph outputs return.
void count_reads(const Graph& graph, std::map<std::string, int>& reads) {
  for (const Node& node : graph.nodes) {
    for (const std::string& in : node.inputs) {
      if (!in.empty()) ++reads[in];
    }
    for (const Attribute& a : node.attributes) {
      if (a.g) count_reads(*a.g, reads);
      for (const auto& g : a.graphs) count_reads(*g, reads);
    }
  }
  for (const ValueInfo& out : graph.outputs) ++reads[out.name];
}

}  // namespace

void CpuProvider::prepack(Graph& graph) {
  if (!prepacked_) prepacked_ = std::make_shared<cpu::PrepackedWeights>();
  const bool bf16 = precision_.used == Precision::kBf16;
  std::set<std::string> inputs;  // an initializer that is also an input is only a default
  for (const ValueInfo& in : graph.inputs) inputs.insert(in.name);
  // The weight input of every FusedMatMul placed here, by initializer: how many of the reads
  // of that initializer the packed panels serve.
  std::map<std::string, int> packed_reads;
  std::vector<const Node*> gemms;
  for (const Node& node : graph.nodes) {
    if (node.provider != name() || node.domain != kCpuFusedDomain ||
        node.op_type != "FusedMatMul" || node.inputs.size() < 2) {
      continue;
    }
    const std::string& w_name = node.inputs[1];
    const auto it = graph.initializers.find(w_name);
    if (it == graph.initializers.end() || inputs.count(w_name)) continue;
    if (it->second.dtype() != DType::kFloat32 || it->second.rank() != 2) continue;
    gemms.push_back(&node);
    for (const std::string& in : node.inputs) {
      if (in == w_name) ++packed_reads[w_name];
    }
  }
  std::map<std::string, int> reads;
  count_reads(graph, reads);
  // Each weight is released as soon as it is packed, so the model is never held twice (on the
  // BERT-base-size export, packing all before releasing any peaked 340 MB higher).
  std::map<std::string, int> packed_left = packed_reads;
  for (const Node* node : gemms) {
    const std::string& w_name = node->inputs[1];
    Tensor& w = graph.initializers.at(w_name);
    const bool trans = node->attr_int("trans_w", 0) != 0;
    const int64_t k = trans ? w.dim(1) : w.dim(0);
    const int64_t n = trans ? w.dim(0) : w.dim(1);
    // A released weight (a lane of this session) has no data left, only its packed form.
    if (!prepacked_->find(w_name, trans, bf16)) {
      if (w.raw() == nullptr || w.numel() == 0) continue;
      (void)prepacked_->pack(w_name, w.data<float>(), k, n, trans, bf16, weights_);
    }
    int& left = packed_left[w_name];
    for (const std::string& in : node->inputs) {
      if (in == w_name) --left;
    }
    // Released once every node that reads it has its panels, and only if nothing else reads it.
    if (left == 0 && reads[w_name] == packed_reads[w_name]) {
      w = Tensor::borrow(DType::kFloat32, w.shape(), nullptr);
    }
  }
}

}  // namespace bog::runtime
