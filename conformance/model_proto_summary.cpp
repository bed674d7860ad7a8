#include "conformance/model_proto_summary.h"

#include <onnx/onnx_pb.h>

#include <fstream>
#include <set>
#include <sstream>

namespace bog::conformance {
namespace {

void collect(const onnx::GraphProto& graph, std::set<std::string>& seen,
             std::vector<std::string>& out, int depth) {
  if (depth > 64) return;  // a hostile file could nest graphs without end
  for (const onnx::NodeProto& node : graph.node()) {
    const std::string& domain = node.domain();
    const std::string name =
        domain.empty() || domain == "ai.onnx" ? node.op_type() : domain + ":" + node.op_type();
    if (seen.insert(name).second) out.push_back(name);
    for (const onnx::AttributeProto& attr : node.attribute()) {
      if (attr.has_g()) collect(attr.g(), seen, out, depth + 1);
      for (const onnx::GraphProto& g : attr.graphs()) collect(g, seen, out, depth + 1);
    }
  }
}

}  // namespace

ProtoSummary summarize_model_file(const std::filesystem::path& path) noexcept {
  ProtoSummary summary;
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) return summary;
    std::ostringstream bytes;
    bytes << in.rdbuf();
    onnx::ModelProto model;
    if (!model.ParseFromString(bytes.str())) return summary;
    summary.parsed = true;
    for (const onnx::OperatorSetIdProto& op : model.opset_import()) {
      if (op.domain().empty() || op.domain() == "ai.onnx") {
        summary.opset = static_cast<int>(op.version());
      }
    }
    std::set<std::string> seen;
    collect(model.graph(), seen, summary.op_types, 0);
  } catch (...) {
    summary.parsed = false;
  }
  return summary;
}

}  // namespace bog::conformance
