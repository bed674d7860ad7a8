#include "onnx_runtime/placement_report.h"

#include <nlohmann/json.hpp>
#include <set>

namespace bog::runtime {

bool PlacementReport::has_fallback() const {
  for (const NodePlacement& n : nodes) {
    if (!n.fallback_reasons.empty()) return true;
  }
  return false;
}

std::vector<std::string> PlacementReport::fallback_reasons() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const NodePlacement& n : nodes) {
    for (const std::string& r : n.fallback_reasons) {
      if (seen.insert(r).second) out.push_back(r);
    }
  }
  return out;
}

nlohmann::json PlacementReport::to_json() const {
  nlohmann::json nodes_json = nlohmann::json::array();
  for (const NodePlacement& n : nodes) {
    nodes_json.push_back({{"node", n.node},
                          {"op_type", n.op_type},
                          {"provider", n.provider},
                          {"fallback_reasons", n.fallback_reasons}});
  }
  return {{"requested", requested},
          {"used", used},
          {"nodes_per_provider", nodes_per_provider},
          {"fallback_reasons", fallback_reasons()},
          {"transfers",
           {{"host_to_device", transfers.host_to_device},
            {"device_to_host", transfers.device_to_host},
            {"bytes_host_to_device", transfers.bytes_host_to_device},
            {"bytes_device_to_host", transfers.bytes_device_to_host}}},
          {"nodes", nodes_json}};
}

}  // namespace bog::runtime
