#include "bench/optimized_graph.h"

#include <fmt/format.h>

#include <map>

#include "bench/model_feeds.h"
#include "common/error.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/session.h"

namespace bog::bench {

using nlohmann::json;

json optimized_graph_report(const OptimizedGraphRequest& req) {
  runtime::Model model = runtime::load_model(req.model);
  const int64_t vocab = embedding_vocab(model);
  runtime::SessionOptions so;
  so.providers = {req.provider};
  if (req.provider != "reference") so.providers.push_back("reference");
  so.optimize = req.optimize;
  so.threads = req.threads;
  runtime::Session session(std::move(model), so);

  json planning = {{"batch", 1}, {"seq", req.seq}, {"ok", true}};
  try {
    FeedShape shape;
    shape.batch = 1;
    shape.seq = req.seq;
    if (vocab > 0) shape.vocab = vocab;
    std::map<std::string, runtime::Tensor> tensors = make_model_feeds(session.input_infos(), shape);
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

}  // namespace bog::bench
