// Checks of the caller's inputs against the graph's declared inputs, shared by both run() entry
// points of a session: one clear kInvalidArgument line per bad feed.
#pragma once

#include <string>

#include "onnx_runtime/graph.h"
#include "onnx_runtime/value.h"

namespace bog::runtime::session {

// "float32" for a tensor type, the kind's name otherwise.
std::string type_to_string(const TypeInfo& t);

// The feed's kind, dtype and rank match what the graph input declares.
void check_feed(const ValueInfo& info, const Value& v);

}  // namespace bog::runtime::session
