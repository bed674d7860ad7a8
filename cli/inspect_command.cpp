// `bog inspect MODEL.onnx`: what a model declares (inputs, outputs, opsets, op types,
// parameters, metadata), as text, JSON, or a Graphviz drawing with --dot.
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/optimized_graph.h"
#include "common/atomic_file.h"
#include "common/checked_math.h"
#include "common/error.h"
#include "onnx_runtime/loader.h"

namespace bog::cli {
namespace {

using nlohmann::json;
using runtime::Graph;
using runtime::Model;

struct Options {
  std::string model;
  bool json = false;
  bool dot = false;
  std::string dot_file;  // empty: stdout
  std::string provider;  // set: also show the graph this provider runs after its passes
  int seq = 128;
  bool no_optimize = false;
  int threads = 1;
};

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

json gather(const Options& o, const Model& m) {
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
  return {{"model", o.model},
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

std::string human_bytes(size_t b) {
  if (b >= (1u << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1 << 20));
  if (b >= (1u << 10)) return fmt::format("{:.1f} KiB", static_cast<double>(b) / (1 << 10));
  return fmt::format("{} B", b);
}

void print_human(const json& j) {
  std::cout << fmt::format("model        {}\n", j["model"].get<std::string>());
  std::cout << fmt::format("ir_version   {}\n", j["ir_version"].get<int64_t>());
  const std::string producer = fmt::format("{} {}", j["producer"]["name"].get<std::string>(),
                                           j["producer"]["version"].get<std::string>());
  if (producer != " ") std::cout << fmt::format("producer     {}\n", producer);
  std::vector<std::string> opsets;
  for (const auto& [domain, version] : j["opsets"].items()) {
    opsets.push_back(fmt::format("{} {}", domain, version.get<int64_t>()));
  }
  std::cout << fmt::format("opsets       {}\n", fmt::join(opsets, ", "));
  std::cout << "inputs\n";
  for (const auto& v : j["inputs"]) {
    std::cout << fmt::format("  {:<28} {}\n", v["name"].get<std::string>(),
                             v["type"]["type"].get<std::string>());
  }
  std::cout << "outputs\n";
  for (const auto& v : j["outputs"]) {
    std::cout << fmt::format("  {:<28} {}\n", v["name"].get<std::string>(),
                             v["type"]["type"].get<std::string>());
  }
  std::cout << fmt::format("nodes        {} ({} op types{})\n", j["nodes"].get<int64_t>(),
                           j["op_types"].size(),
                           j["subgraphs"].get<int64_t>() > 0
                               ? fmt::format(", {} subgraphs", j["subgraphs"].get<int64_t>())
                               : "");
  std::vector<std::pair<int64_t, std::string>> ops;
  for (const auto& [op, n] : j["op_types"].items()) ops.emplace_back(n.get<int64_t>(), op);
  std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (const auto& [n, op] : ops) std::cout << fmt::format("  {:<28} {}\n", op, n);
  std::cout << fmt::format("parameters   {} in {} initializers, {}\n",
                           j["parameters"].get<int64_t>(), j["initializers"].get<int64_t>(),
                           human_bytes(j["parameter_bytes"].get<size_t>()));
  if (!j["metadata_props"].empty()) {
    std::cout << "metadata\n";
    for (const auto& [k, v] : j["metadata_props"].items()) {
      std::cout << fmt::format("  {} = {}\n", k, v.get<std::string>());
    }
  }
}

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

// Graph inputs and outputs are ellipses, nodes boxes; an edge per value, labelled with its
// name. Initializers are left out: they would bury the structure of any real model.
std::string to_dot(const Model& m) {
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

void run(const Options& o) {
  const Model m = runtime::load_model(o.model);
  if (o.dot) {
    const std::string dot = to_dot(m);
    if (o.dot_file.empty()) {
      std::cout << dot;
      return;
    }
    write_file_atomic(o.dot_file, dot);
    if (!o.json) std::cerr << fmt::format("wrote {}\n", o.dot_file);
  }
  json j = gather(o, m);
  if (!o.provider.empty()) {
    OptimizedGraphRequest req;
    req.model = o.model;
    req.provider = o.provider;
    req.seq = o.seq;
    req.optimize = !o.no_optimize;
    req.threads = o.threads;
    j["optimized"] = optimized_graph_report(req);
  }
  if (o.json) {
    std::cout << j.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    print_human(j);
    if (j.contains("optimized")) print_optimized_graph(j["optimized"]);
  }
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd =
      app.add_subcommand("inspect", "Show a model's inputs, outputs, opsets, ops and parameters");
  cmd->add_option("MODEL", o->model, "Model file (.onnx)")->required();
  cmd->add_flag("--json", o->json, "Print one JSON object");
  auto* provider =
      cmd->add_option("--provider", o->provider,
                      "Also show the graph this provider runs: passes fired, nodes before/after, "
                      "memory plan peak, op types")
          ->check(CLI::IsMember({"reference", "cpu", "cuda"}));
  cmd->add_option("--seq", o->seq, "Sequence length of --provider's planning run (batch 1)")
      ->check(CLI::PositiveNumber)
      ->needs(provider);
  cmd->add_flag("--no-optimize", o->no_optimize, "With --provider: turn its graph passes off")
      ->needs(provider);
  cmd->add_option("--threads", o->threads, "With --provider: the session's intra-op threads")
      ->check(CLI::Range(1, 256))
      ->needs(provider);
  auto* dot =
      cmd->add_option("--dot", o->dot_file, "Write Graphviz: to FILE, or to stdout without one")
          ->expected(0, 1);
  cmd->callback([o, dot] {
    o->dot = dot->count() > 0;
    run(*o);
  });
}

}  // namespace bog::cli
