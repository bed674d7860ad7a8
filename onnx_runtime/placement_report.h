// Which provider runs each node, and why any node did not land on the first one requested.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace bog::runtime {

struct NodePlacement {
  std::string node;      // node name, or "<op_type>#<index>" when unnamed
  std::string op_type;
  std::string provider;  // the provider that runs it
  std::vector<std::string> fallback_reasons;  // one per skipped provider, e.g. "cuda: no CUDA device"
};

struct PlacementReport {
  std::vector<std::string> requested;
  std::vector<std::string> used;  // providers that run at least one node, in request order
  std::map<std::string, int> nodes_per_provider;
  std::vector<NodePlacement> nodes;

  bool has_fallback() const;
  // Distinct fallback reasons, e.g. ["cuda: no CUDA device (built without CUDA)"].
  std::vector<std::string> fallback_reasons() const;
  nlohmann::json to_json() const;
};

}  // namespace bog::runtime
