// What a model file says about itself, read straight from the protobuf without validation:
// used by `bog conformance` to label a case even when the loader rejects it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace bog::conformance {

struct ProtoSummary {
  bool parsed = false;
  std::vector<std::string> op_types;  // distinct, first appearance, subgraphs included;
                                      // non-default domains written "domain:Op"
  int opset = -1;                     // default-domain opset; -1 when not imported
};

// Never throws: a file that cannot be read or parsed gives parsed == false.
ProtoSummary summarize_model_file(const std::filesystem::path& path) noexcept;

}  // namespace bog::conformance
