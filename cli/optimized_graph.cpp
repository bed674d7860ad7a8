#include "cli/optimized_graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "bench/model_feeds.h"
#include "common/error.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/session.h"

namespace bog::cli {

using nlohmann::json;

json optimized_graph_report(const OptimizedGraphRequest& req) {
  runtime::Model model = runtime::load_model(req.model);
  const int64_t vocab = bench::embedding_vocab(model);
  runtime::SessionOptions so;
  so.providers = {req.provider};
  if (req.provider != "reference") so.providers.push_back("reference");
  so.optimize = req.optimize;
  so.threads = req.threads;
  runtime::Session session(std::move(model), so);

  json planning = {{"batch", 1}, {"seq", req.seq}, {"ok", true}};
  try {
    bench::FeedShape shape;
    shape.batch = 1;
    shape.seq = req.seq;
    if (vocab > 0) shape.vocab = vocab;
    std::map<std::string, runtime::Tensor> tensors =
        bench::make_model_feeds(session.input_infos(), shape);
    std::map<std::string, runtime::Value> feeds;
    for (auto& [name, t] : tensors) feeds.emplace(name, runtime::Value::from_tensor(std::move(t)));
    (void)session.run(std::move(feeds));
  } catch (const Error& e) {
    planning["ok"] = false;
    planning["error"] = e.what();
  }

  const runtime::Session::OptimizationReport r = session.optimization_report();
  json passes = json::array();
  int fired = 0;
  for (const auto& [provider, pc] : r.passes) {
    passes.push_back({{"provider", provider}, {"pass", pc.pass}, {"rewrites", pc.rewrites}});
    if (pc.rewrites > 0) ++fired;
  }
  std::map<std::string, int64_t> ops;
  for (const runtime::Node& n : session.model().graph.nodes) {
    const bool default_domain = n.domain.empty() || n.domain == "ai.onnx";
    ++ops[default_domain ? n.op_type : n.domain + ":" + n.op_type];
  }
  return {{"provider", req.provider},
          {"providers_used", session.placement().used},
          {"optimize", req.optimize},
          {"nodes_before", r.nodes_before},
          {"nodes_after", r.nodes_after},
          {"passes", passes},
          {"fusions_fired", fired},
          {"planned_peak_bytes", r.planned_peak_bytes},
          {"batch_split", r.batch_split},
          {"batch_split_reason", r.batch_split_reason},
          {"batch_lanes", r.batch_lanes},
          {"planning_run", planning},
          {"op_types", ops}};
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

}  // namespace bog::cli
