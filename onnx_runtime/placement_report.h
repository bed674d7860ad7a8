// Which provider runs each node, and why any node did not land on the first one requested.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace bog::runtime {

// Host<->device copies made at provider boundaries, counted by the non-CPU provider that made
// them (cuda). Kernels never copy; only the session's boundary copies (to_device/to_host) and
// graph outputs leaving the device count.
struct TransferCounts {
  int64_t host_to_device = 0;
  int64_t device_to_host = 0;
  int64_t bytes_host_to_device = 0;
  int64_t bytes_device_to_host = 0;
};

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
  TransferCounts transfers;  // every provider's ExecutionProvider::transfers(), summed by
                             // Session::placement() when it is called

  bool has_fallback() const;
  // Distinct fallback reasons, e.g. ["cuda: no CUDA device (built without CUDA)"].
  std::vector<std::string> fallback_reasons() const;
  nlohmann::json to_json() const;
};

}  // namespace bog::runtime
