// Makes a decoder's KV cache append in place (only for sessions made with a KvCacheState):
//
//   past_key_values.{i}.key ─┐
//   new keys [B, Hkv, S, D] ──► Concat(axis 2) ─► present.{i}.key ─► Attention (k or v, bog.cpu)
//                                                                └─► graph output
//   becomes   KvAppend(past, new) ─► present.{i}.key (the caller's cache buffer, rows
//             `capacity` apart; the Attention reads it there: attribute k_in_cache / v_in_cache)
//
// The past input's data lies in a buffer whose rows are `capacity` apart, so the rewrite is
// made only when nothing but this Concat reads the past's data (Shape may read its shape), and
// every reader of present is a fused Attention (as k, not transposed, or as v) or Shape. Any
// other form is left as it is and the state says why: the decode loop then feeds present back.
#include <fmt/format.h>

#include "onnx_runtime/providers/cpu/cpu_provider.h"
#include "onnx_runtime/providers/cpu/passes/pass_util.h"
#include "onnx_runtime/providers/cpu/passes/passes.h"
#include "onnx_runtime/providers/cpu/passes/static_types.h"

namespace bog::runtime::cpu {
namespace {

bool is_shape(const Node& n) { return n.domain.empty() && n.op_type == "Shape"; }

// Why the Concat producing `present` cannot append in place ("" if it can).
std::string blocker(const Graph& g, const GraphIndex& idx, const StaticTypes& types,
                    const std::string& present) {
  const auto p = idx.producer(present);
  if (!p) return fmt::format("{} is not computed by a Concat", present);
  const Node& cat = g.nodes[*p];
  if (!idx.owns(cat) || !cat.domain.empty() || cat.op_type != "Concat" || cat.inputs.size() != 2)
    return fmt::format("{} is not a two-input Concat on cpu", present);
  const int64_t axis = cat.attr_int("axis", 0);
  if (axis != 2 && axis != -2) return fmt::format("{}: Concat axis {} is not 2", present, axis);
  const std::string& past = cat.inputs[0];
  // KvAppend's kernel takes [B, Hkv, T, D] float32 only.
  for (const std::string& x : cat.inputs) {
    if (types.rank(x) != 4 || !types.is(x, DType::kFloat32))
      return fmt::format("{}: {} is not known to be 4-D float32", present, x);
  }
  if (g.find_input(past) == nullptr || g.is_initializer(past))
    return fmt::format("{}: the Concat's first input is not a graph input", present);
  for (const size_t c : idx.consumers(past)) {
    if (c != *p && !is_shape(g.nodes[c]))
      return fmt::format("{} is read by {} '{}'", past, g.nodes[c].op_type, g.nodes[c].name);
  }
  for (const size_t c : idx.consumers(present)) {
    const Node& n = g.nodes[c];
    if (is_shape(n)) continue;
    const bool attention = n.domain == kCpuFusedDomain && n.op_type == "Attention";
    bool ok = attention;
    for (size_t k = 0; ok && k < n.inputs.size(); ++k) {
      if (n.inputs[k] != present) continue;
      ok = (k == 1 && n.attr_int("k_transposed", 0) == 0) || k == 2;
    }
    if (!ok) return fmt::format("{} is read by {} '{}'", present, n.op_type, n.name);
  }
  return "";
}

void set_attr(Node& n, const Attribute& a) {
  for (Attribute& x : n.attributes) {
    if (x.name == a.name) {
      x = a;
      return;
    }
  }
  n.attributes.push_back(a);
}

}  // namespace

int fuse_kv_append(Graph& g, const std::string& provider, KvCacheState& state) {
  state.in_place_outputs.clear();
  state.not_in_place.clear();
  std::vector<std::string> presents;
  for (const ValueInfo& out : g.outputs) {
    if (out.name.rfind("present.", 0) == 0) presents.push_back(out.name);
  }
  // All or nothing: the decode loop shares every layer's buffer or none.
  {
    const GraphIndex idx(g, provider);
    const StaticTypes types(g);
    for (const std::string& present : presents) {
      const std::string why = blocker(g, idx, types, present);
      if (!why.empty()) state.not_in_place.push_back(why);
    }
  }
  if (presents.empty()) state.not_in_place.push_back("the graph has no present.* outputs");
  if (!state.not_in_place.empty()) return 0;
  const GraphIndex idx(g, provider);
  for (const std::string& present : presents) {
    Node& cat = g.nodes[*idx.producer(present)];
    cat.domain = kCpuFusedDomain;
    cat.op_type = "KvAppend";
    cat.opset = 1;
    cat.attributes.clear();
    for (const size_t c : idx.consumers(present)) {
      Node& n = g.nodes[c];
      if (is_shape(n)) continue;
      if (n.inputs.size() > 1 && n.inputs[1] == present) set_attr(n, int_attr("k_in_cache", 1));
      if (n.inputs.size() > 2 && n.inputs[2] == present) set_attr(n, int_attr("v_in_cache", 1));
    }
    state.in_place_outputs.push_back(present);
  }
  return static_cast<int>(presents.size());
}

}  // namespace bog::runtime::cpu
