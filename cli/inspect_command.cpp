// `bog inspect MODEL.onnx`: what a model declares (inputs, outputs, opsets, op types,
// parameters, metadata), as text, JSON, or a Graphviz drawing with --dot.
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "bench/optimized_graph.h"
#include "cli/commands.h"
#include "common/atomic_file.h"
#include "conformance/model_summary.h"
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

void print_optimized_graph(const json& j) {
  std::cout << fmt::format("optimized for {} (ran on {}{})\n", j["provider"].get<std::string>(),
                           fmt::join(j["providers_used"].get<std::vector<std::string>>(), "+"),
                           j["optimize"].get<bool>() ? "" : "; passes off: --no-optimize");
  std::cout << fmt::format("  nodes        {} -> {}\n", j["nodes_before"].get<int>(),
                           j["nodes_after"].get<int>());
  if (j["passes"].empty()) {
    std::cout << "  passes       none reported\n";
  } else {
    std::cout << "  passes\n";
    for (const json& p : j["passes"]) {
      std::cout << fmt::format("    {:<10} {:<32} {} rewrite(s)\n",
                               p["provider"].get<std::string>(), p["pass"].get<std::string>(),
                               p["rewrites"].get<int>());
    }
  }
  const json& run = j["planning_run"];
  if (run["ok"].get<bool>()) {
    std::cout << fmt::format("  memory plan  peak {} bytes (batch {}, seq {})\n",
                             j["planned_peak_bytes"].get<int64_t>(), run["batch"].get<int>(),
                             run["seq"].get<int>());
  } else {
    std::cout << fmt::format("  memory plan  unknown: the planning run failed: {}\n",
                             run["error"].get<std::string>());
  }
  if (j["batch_split"].get<bool>()) {
    std::cout
        << "  batch split  yes: samples are independent; large batches run in L2-sized chunks\n";
  } else {
    std::cout << fmt::format("  batch split  no: {}\n", j["batch_split_reason"].get<std::string>());
  }
  if (j["batch_lanes"].get<int>() > 1) {
    std::cout << fmt::format(
        "  batch lanes  {}: a large batch runs as {} parts side by side, one per thread\n",
        j["batch_lanes"].get<int>(), j["batch_lanes"].get<int>());
  }
  std::vector<std::pair<int64_t, std::string>> ops;
  for (const auto& [op, n] : j["op_types"].items()) ops.emplace_back(n.get<int64_t>(), op);
  std::sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::cout << "  op types after optimization\n";
  for (const auto& [n, op] : ops) std::cout << fmt::format("    {:<28} {}\n", op, n);
}

void run(const Options& o) {
  const Model m = runtime::load_model(o.model);
  if (o.dot) {
    const std::string dot = conformance::model_to_dot(m);
    if (o.dot_file.empty()) {
      std::cout << dot;
      return;
    }
    write_file_atomic(o.dot_file, dot);
    if (!o.json) std::cerr << fmt::format("wrote {}\n", o.dot_file);
  }
  json j = conformance::model_summary_json(m, o.model);
  if (!o.provider.empty()) {
    bench::OptimizedGraphRequest req;
    req.model = o.model;
    req.provider = o.provider;
    req.seq = o.seq;
    req.optimize = !o.no_optimize;
    req.threads = o.threads;
    j["optimized"] = bench::optimized_graph_report(req);
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
