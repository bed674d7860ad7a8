// Small helpers the subcommands share: provider-name checks and human-readable types/values.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "onnx_runtime/graph.h"
#include "onnx_runtime/value.h"

namespace bog::cli {

// Error(kInvalidArgument) naming the known providers when a name is unknown or the list empty.
void check_provider_names(const std::vector<std::string>& names);

// "float32[batch,8]", "seq(int64[?])", "opt(float32[3])"; "?" marks an unknown dim, and a
// missing shape prints as "float32[...]".
std::string type_to_string(const runtime::TypeInfo& type);

// {"requested", "used", "kernel", "reason"} of cpu_precision() for a --precision value
// (Error(kInvalidArgument) for one that is not fp32 or bf16).
nlohmann::json precision_json(const std::string& requested);
// One line for text output: "precision: bf16 (amx_bf16)" or the fallback and its reason.
std::string precision_line(const std::string& requested);
nlohmann::json type_to_json(const runtime::TypeInfo& type);

// "float32[2,4]", "seq(3 x float32)", "opt(none)".
std::string value_type_string(const runtime::Value& value);
// The first `max_elements` elements, e.g. "[0.1, -2.5, 3, ...]".
std::string value_preview(const runtime::Value& value, size_t max_elements = 8);
nlohmann::json value_to_json(const runtime::Value& value, size_t max_elements = 8);

}  // namespace bog::cli
