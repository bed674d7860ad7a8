// Random feeds for `bog run --random`: declared shapes with symbolic dims bound by --dim
// NAME=VALUE (unbound ones become 1), small values that keep index-like inputs in range.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "onnx_runtime/graph.h"
#include "onnx_runtime/value.h"

namespace bog::conformance {

// "batch=2" -> {"batch", 2}; Error(kInvalidArgument) for anything else.
std::pair<std::string, int64_t> parse_dim_binding(const std::string& text);

struct RandomFeeds {
  std::map<std::string, runtime::Value> feeds;
  std::map<std::string, int64_t> dims_used;  // every symbolic dim and the size it got
};

// Floats uniform in [-1, 1), integers in [0, 4), booleans fair coins. Error(kInvalidArgument)
// when an input has no declared type/shape to build from, or a --dim names no input's dim.
RandomFeeds make_random_feeds(const std::vector<runtime::ValueInfo>& inputs,
                              const std::map<std::string, int64_t>& dims, uint64_t seed);

}  // namespace bog::conformance
