#include "bench/session_profile.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace bog::bench {

using nlohmann::json;

json profile_session(runtime::Session& session, const std::map<std::string, runtime::Value>& feeds,
                     int runs) {
  session.set_profiling(true);
  const auto start = std::chrono::steady_clock::now();
  for (int r = 0; r < runs; ++r) {
    std::map<std::string, runtime::Value> copy;
    for (const auto& [name, value] : feeds) copy.emplace(name, value.clone());
    (void)session.run(std::move(copy));
  }
  const double wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  session.set_profiling(false);
  const std::vector<runtime::Session::NodeProfile> nodes = session.profile();
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, double>> by_op;
  double kernel_ms = 0;
  for (const auto& n : nodes) {
    auto& [count, ms] = by_op[{n.op_type, n.provider}];
    count += n.calls;
    ms += n.total_ms;
    kernel_ms += n.total_ms;
  }
  std::vector<std::pair<std::pair<std::string, std::string>, std::pair<int64_t, double>>> ops(
      by_op.begin(), by_op.end());
  std::sort(ops.begin(), ops.end(),
            [](const auto& a, const auto& b) { return a.second.second > b.second.second; });
  json op_types = json::array();
  for (const auto& [key, v] : ops) {
    op_types.push_back({{"op_type", key.first},
                        {"provider", key.second},
                        {"nodes", v.first / runs},
                        {"ms_per_run", v.second / runs},
                        {"share", kernel_ms > 0 ? v.second / kernel_ms : 0.0}});
  }
  std::vector<runtime::Session::NodeProfile> slowest = nodes;
  std::sort(slowest.begin(), slowest.end(),
            [](const auto& a, const auto& b) { return a.total_ms > b.total_ms; });
  if (slowest.size() > 10) slowest.resize(10);
  json top = json::array();
  for (const auto& n : slowest) {
    top.push_back({{"node", n.node_name},
                   {"op_type", n.op_type},
                   {"provider", n.provider},
                   {"ms_per_run", n.total_ms / runs}});
  }
  return {{"runs", runs},
          {"ms_per_run", wall_ms / runs},
          {"kernel_ms_per_run", kernel_ms / runs},
          {"op_types", op_types},
          {"slowest_nodes", top}};
}

}  // namespace bog::bench
