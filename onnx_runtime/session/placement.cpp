// Assigns nodes to providers (placement.h).
#include "onnx_runtime/session/placement.h"

#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/graph_scope.h"

namespace bog::runtime::session {
namespace {

void place(Graph& graph, const Providers& providers, bool strict, const std::string& prefix,
           PlacementReport* out) {
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    Node& node = graph.nodes[i];
    NodePlacement placement;
    placement.node = prefix + node_label(node, i);
    placement.op_type = node.op_type;
    node.provider.clear();
    for (const auto& p : providers) {
      if (!p->available()) {
        const std::string why = p->unavailable_reason();
        placement.fallback_reasons.push_back(
            fmt::format("{}: {}", p->name(), why.empty() ? "not available" : why));
        continue;
      }
      const Claim claim = p->claims(node);
      if (claim) {
        node.provider = p->name();
        break;
      }
      placement.fallback_reasons.push_back(fmt::format(
          "{}: {}", p->name(),
          claim.reason.empty() ? fmt::format("op {} not claimed", node.op_type) : claim.reason));
    }
    if (node.provider.empty()) {
      throw Error(
          ErrorCategory::kUnsupported,
          fmt::format("{}: op {}{} (opset {}) is not supported by any requested "
                      "provider: {}",
                      describe(node, i), node.domain.empty() ? "" : node.domain + ":", node.op_type,
                      node.opset, fmt::join(placement.fallback_reasons, "; ")));
    }
    if (strict && !placement.fallback_reasons.empty()) {
      throw Error(
          ErrorCategory::kProviderUnavailable,
          fmt::format("strict placement: {}{} would fall back to {}: {}", prefix, describe(node, i),
                      node.provider, fmt::join(placement.fallback_reasons, "; ")));
    }
    for (Attribute& a : node.attributes) {
      const std::string sub = prefix + node_label(node, i) + "/";
      if (a.g) place(*a.g, providers, strict, sub, out);
      for (auto& g : a.graphs) {
        if (g) place(*g, providers, strict, sub, out);
      }
    }
    if (out != nullptr) {
      placement.provider = node.provider;
      ++out->nodes_per_provider[node.provider];
      out->nodes.push_back(std::move(placement));
    }
  }
}

}  // namespace

void place_graph(Graph& graph, const Providers& providers, bool strict, PlacementReport* report) {
  place(graph, providers, strict, "", report);
}

const ExecutionProvider& provider_named(const Providers& providers, const std::string& name) {
  for (const auto& p : providers) {
    if (p->name() == name) return *p;
  }
  throw Error(ErrorCategory::kInternal, fmt::format("node placed on unknown provider '{}'", name));
}

}  // namespace bog::runtime::session
