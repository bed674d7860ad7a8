// The top-level graph's values, one slot per name, indexed once at session creation so the run
// loop never looks a name up. Slots are never added after creation: kernel contexts point into
// `values`.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "onnx_runtime/value.h"

namespace bog::runtime::session {

struct ValueSlots {
  std::vector<std::string> names;
  std::unordered_map<std::string, int> index;  // name -> slot
  std::vector<Value> values;

  Value& operator[](int slot) { return values[static_cast<size_t>(slot)]; }
  const Value& operator[](int slot) const { return values[static_cast<size_t>(slot)]; }
};

}  // namespace bog::runtime::session
