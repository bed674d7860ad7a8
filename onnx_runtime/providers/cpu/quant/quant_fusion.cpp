// The fusion of ONNX Runtime's dynamic-quantization chain into DynamicQuantizeMatMul (pattern in
// quant_kernels.h). Self-contained index of producers and consumers, so it depends on nothing in
// the cpu provider's own passes.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "onnx_runtime/providers/cpu/quant/quant_kernels.h"

namespace bog::runtime::cpu {
namespace {

struct Index {
  std::map<std::string, size_t> producer;
  std::map<std::string, std::vector<size_t>> consumers;
  std::set<std::string> outputs;

  explicit Index(const Graph& g) {
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (const std::string& o : g.nodes[i].outputs) {
        if (!o.empty()) producer[o] = i;
      }
      for (const std::string& in : g.nodes[i].inputs) {
        if (!in.empty()) consumers[in].push_back(i);
      }
      // Subgraph bodies may read outer values: count them as readers of the node.
      for (const Attribute& a : g.nodes[i].attributes) {
        if (a.g) mark_subgraph_reads(*a.g, i);
        for (const auto& sg : a.graphs) mark_subgraph_reads(*sg, i);
      }
    }
    for (const ValueInfo& v : g.outputs) outputs.insert(v.name);
  }
  void mark_subgraph_reads(const Graph& sg, size_t node) {
    for (const Node& n : sg.nodes) {
      for (const std::string& in : n.inputs) {
        if (!in.empty()) consumers[in].push_back(node);
      }
    }
  }
  size_t uses(const std::string& v) const {
    const auto it = consumers.find(v);
    return (it == consumers.end() ? 0 : it->second.size()) + outputs.count(v);
  }
  const Node* made_by(const Graph& g, const std::string& v, const char* op, size_t* at) const {
    const auto it = producer.find(v);
    if (it == producer.end()) return nullptr;
    const Node& n = g.nodes[it->second];
    if (n.op_type != op || !n.domain.empty()) return nullptr;
    *at = it->second;
    return &n;
  }
};

bool initializer_of(const Graph& g, const std::string& name, DType dtype, int64_t max_rank) {
  const auto it = g.initializers.find(name);
  return it != g.initializers.end() && it->second.dtype() == dtype && it->second.rank() <= max_rank;
}

}  // namespace

int fuse_dynamic_quantize_matmul(Graph& g, const std::string& provider) {
  const Index idx(g);
  std::set<size_t> dead;
  std::map<size_t, Node> fused_at;      // slot -> fused node
  std::set<size_t> maybe_dead;          // DynamicQuantizeLinear / scale Mul nodes to recheck
  std::map<size_t, size_t> fused_from;  // slot -> the DynamicQuantizeLinear it reads
  std::map<size_t, int> fused_per_dql;  // DynamicQuantizeLinear -> fused MatMuls reading it
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& mmi = g.nodes[i];
    if (mmi.op_type != "MatMulInteger" || !mmi.domain.empty() || mmi.provider != provider) continue;
    if (mmi.inputs.size() < 3 || mmi.inputs[2].empty()) continue;
    size_t dql_i = 0;
    const Node* dql = idx.made_by(g, mmi.inputs[0], "DynamicQuantizeLinear", &dql_i);
    if (!dql || dql->provider != provider || dql->outputs.size() < 3 ||
        dql->outputs[0] != mmi.inputs[0] || dql->outputs[2] != mmi.inputs[2]) {
      continue;
    }
    const std::string& w = mmi.inputs[1];
    const std::string w_zp = mmi.inputs.size() > 3 ? mmi.inputs[3] : "";
    if (!initializer_of(g, w, DType::kInt8, 2) || g.initializers.at(w).rank() != 2) continue;
    if (!w_zp.empty() && !initializer_of(g, w_zp, DType::kInt8, 1)) continue;
    // MatMulInteger -> Cast(float) -> Mul(., S)
    if (idx.uses(mmi.outputs[0]) != 1 || !idx.consumers.count(mmi.outputs[0])) continue;
    const size_t cast_i = idx.consumers.at(mmi.outputs[0])[0];
    const Node& cast = g.nodes[cast_i];
    if (cast.op_type != "Cast" || !cast.domain.empty() || cast.provider != provider ||
        cast.attr_int("to", 0) != static_cast<int64_t>(DType::kFloat32) ||
        idx.uses(cast.outputs[0]) != 1 || !idx.consumers.count(cast.outputs[0])) {
      continue;
    }
    const size_t mul_i = idx.consumers.at(cast.outputs[0])[0];
    const Node& mul = g.nodes[mul_i];
    if (mul.op_type != "Mul" || !mul.domain.empty() || mul.provider != provider ||
        mul.inputs.size() != 2) {
      continue;
    }
    const std::string s = mul.inputs[0] == cast.outputs[0] ? mul.inputs[1] : mul.inputs[0];
    size_t smul_i = 0;
    const Node* smul = idx.made_by(g, s, "Mul", &smul_i);
    if (!smul || smul->provider != provider || smul->inputs.size() != 2) continue;
    std::string ws;
    if (smul->inputs[0] == dql->outputs[1]) ws = smul->inputs[1];
    if (smul->inputs[1] == dql->outputs[1]) ws = smul->inputs[0];
    if (ws.empty() || !initializer_of(g, ws, DType::kFloat32, 1)) continue;
    const int64_t n = g.initializers.at(w).dim(1);
    if (g.initializers.at(ws).numel() != 1 && g.initializers.at(ws).numel() != n) continue;

    Node f;
    f.op_type = kDynamicQuantizeMatMul;
    f.domain = kQuantFusedDomain;
    f.opset = 1;
    f.name = (mul.name.empty() ? mmi.name : mul.name) + "/" + f.op_type;
    f.inputs = {dql->inputs[0], w, "", "", "", ws, w_zp};
    f.outputs = {mul.outputs[0]};
    f.provider = provider;
    dead.insert({i, cast_i, mul_i});
    fused_at.emplace(mul_i, std::move(f));
    fused_from.emplace(mul_i, dql_i);
    ++fused_per_dql[dql_i];
    maybe_dead.insert({dql_i, smul_i});
  }
  // A DynamicQuantizeLinear read by several fused MatMuls stays, and they take its uint8 output,
  // scale and zero point: X is quantized once, not once per MatMul (q/k/v, gate/up).
  for (auto& [at, f] : fused_at) {
    const size_t dql_i = fused_from.at(at);
    if (fused_per_dql.at(dql_i) < 2) continue;
    const Node& dql = g.nodes[dql_i];
    f.inputs[0] = dql.outputs[0];
    f.inputs.resize(kDqmmXZeroPoint + 1);
    f.inputs[kDqmmXScale] = dql.outputs[1];
    f.inputs[kDqmmXZeroPoint] = dql.outputs[2];
    maybe_dead.erase(dql_i);
  }
  for (auto& [at, f] : fused_at) {
    while (!f.inputs.empty() && f.inputs.back().empty()) f.inputs.pop_back();
  }
  if (fused_at.empty()) return 0;
  // The shared producers die once every read of every output went into a fused node (scale
  // Muls first, then the DynamicQuantizeLinear they read: repeat until nothing changes).
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t p : maybe_dead) {
      if (dead.count(p)) continue;
      bool unused = true;
      for (const std::string& o : g.nodes[p].outputs) {
        if (o.empty()) continue;
        if (idx.outputs.count(o)) unused = false;
        const auto it = idx.consumers.find(o);
        const size_t reads = it == idx.consumers.end() ? 0 : it->second.size();
        size_t dead_reads = 0;
        if (it != idx.consumers.end()) {
          for (size_t c : it->second) dead_reads += dead.count(c);
        }
        if (reads != dead_reads) unused = false;
      }
      if (unused) {
        dead.insert(p);
        changed = true;
      }
    }
  }
  std::vector<Node> out;
  out.reserve(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const auto f = fused_at.find(i);
    if (f != fused_at.end()) {
      out.push_back(std::move(f->second));
    } else if (!dead.count(i)) {
      out.push_back(std::move(g.nodes[i]));
    }
  }
  g.nodes = std::move(out);
  return static_cast<int>(fused_at.size());
}

}  // namespace bog::runtime::cpu
