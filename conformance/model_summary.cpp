#include "conformance/model_summary.h"

#include <fmt/format.h>

#include <map>
#include <sstream>

#include "conformance/value_format.h"

namespace bog::conformance {

using nlohmann::json;
using runtime::Graph;
using runtime::Model;

namespace {

struct Counts {
  std::map<std::string, int64_t> op_histogram;  // "Op" or "domain:Op"
  int64_t nodes = 0;
  int64_t subgraphs = 0;
  int64_t initializers = 0;
  int64_t parameters = 0;
  size_t bytes = 0;
};

// Walks the graph and every subgraph (If/Loop/Scan bodies), so nested ops count too.
void count(const Graph& g, Counts& c) {
  for (const auto& [name, t] : g.initializers) {
    ++c.initializers;
    c.parameters += t.numel();
    if (t.dtype() == runtime::DType::kString) {
      for (const std::string& s : t.strings()) c.bytes += s.size();
    } else {
      c.bytes += t.nbytes();
    }
  }
  for (const runtime::Node& n : g.nodes) {
    ++c.nodes;
    const bool default_domain = n.domain.empty() || n.domain == "ai.onnx";
    ++c.op_histogram[default_domain ? n.op_type : n.domain + ":" + n.op_type];
    for (const runtime::Attribute& a : n.attributes) {
      if (a.g) {
        ++c.subgraphs;
        count(*a.g, c);
      }
      for (const auto& sub : a.graphs) {
        if (!sub) continue;
        ++c.subgraphs;
        count(*sub, c);
      }
    }
  }
}

std::vector<runtime::ValueInfo> fed_inputs(const Graph& g) {
  std::vector<runtime::ValueInfo> out;
  for (const runtime::ValueInfo& v : g.inputs) {
    if (!g.is_initializer(v.name)) out.push_back(v);
  }
  return out;
}

}  // namespace

json model_summary_json(const Model& m, const std::string& label) {
  Counts c;
  count(m.graph, c);
  json inputs = json::array();
  for (const runtime::ValueInfo& v : fed_inputs(m.graph)) {
    inputs.push_back({{"name", v.name}, {"type", type_to_json(v.type)}});
  }
  json outputs = json::array();
  for (const runtime::ValueInfo& v : m.graph.outputs) {
    outputs.push_back({{"name", v.name}, {"type", type_to_json(v.type)}});
  }
  json opsets = json::object();
  for (const auto& [domain, version] : m.graph.opsets)
    opsets[domain.empty() ? "ai.onnx" : domain] = version;
  json metadata = json::object();
  for (const auto& [k, v] : m.metadata) metadata[k] = v;
  return {{"model", label},
          {"ir_version", m.ir_version},
          {"producer", {{"name", m.producer_name}, {"version", m.producer_version}}},
          {"graph_name", m.graph.name},
          {"opsets", opsets},
          {"inputs", inputs},
          {"outputs", outputs},
          {"nodes", c.nodes},
          {"subgraphs", c.subgraphs},
          {"op_types", c.op_histogram},
          {"initializers", c.initializers},
          {"parameters", c.parameters},
          {"parameter_bytes", c.bytes},
          {"metadata_props", metadata}};
}

namespace {

std::string dot_escape(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out;
}

}  // namespace

// Graph inputs and outputs are ellipses, nodes boxes; an edge per value, labelled with its
// name. Initializers are left out: they would bury the structure of any real model.
std::string model_to_dot(const Model& m) {
  const Graph& g = m.graph;
  std::ostringstream out;
  out << "digraph \"" << dot_escape(g.name.empty() ? "model" : g.name) << "\" {\n";
  out << "  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  std::map<std::string, std::string> producer;  // value name -> dot node id
  int id = 0;
  for (const runtime::ValueInfo& v : fed_inputs(g)) {
    const std::string node = fmt::format("in{}", id++);
    producer[v.name] = node;
    out << fmt::format(
        "  {} [shape=ellipse, style=filled, fillcolor=\"#dbeafe\", label=\"{}\\n{}\"];\n", node,
        dot_escape(v.name), dot_escape(type_to_string(v.type)));
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const runtime::Node& n = g.nodes[i];
    const std::string node = fmt::format("n{}", i);
    out << fmt::format("  {} [shape=box, style=rounded, label=\"{}{}\"];\n", node,
                       dot_escape(n.op_type), n.name.empty() ? "" : "\\n" + dot_escape(n.name));
    for (const std::string& input : n.inputs) {
      const auto it = producer.find(input);
      if (input.empty() || it == producer.end()) continue;
      out << fmt::format("  {} -> {} [label=\"{}\", fontsize=8];\n", it->second, node,
                         dot_escape(input));
    }
    for (const std::string& output : n.outputs) {
      if (!output.empty()) producer[output] = node;
    }
  }
  for (const runtime::ValueInfo& v : g.outputs) {
    const std::string node = fmt::format("out{}", id++);
    out << fmt::format(
        "  {} [shape=ellipse, style=filled, fillcolor=\"#dcfce7\", label=\"{}\\n{}\"];\n", node,
        dot_escape(v.name), dot_escape(type_to_string(v.type)));
    const auto it = producer.find(v.name);
    if (it != producer.end()) out << fmt::format("  {} -> {};\n", it->second, node);
  }
  out << "}\n";
  return out.str();
}

}  // namespace bog::conformance
