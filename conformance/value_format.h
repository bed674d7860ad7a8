// Types and values as text and JSON, as `bog run` and `bog inspect` print them.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "onnx_runtime/graph.h"
#include "onnx_runtime/value.h"

namespace bog::conformance {

// "float32[batch,8]", "seq(int64[?])", "opt(float32[3])"; "?" marks an unknown dim, and a
// missing shape prints as "float32[...]".
std::string type_to_string(const runtime::TypeInfo& type);

nlohmann::json type_to_json(const runtime::TypeInfo& type);

// "float32[2,4]", "seq(3 x float32)", "opt(none)".
std::string value_type_string(const runtime::Value& value);
// The first `max_elements` elements, e.g. "[0.1, -2.5, 3, ...]".
std::string value_preview(const runtime::Value& value, size_t max_elements = 8);
nlohmann::json value_to_json(const runtime::Value& value, size_t max_elements = 8);

}  // namespace bog::conformance
