// Where a session's time goes: runs the same feeds N more times with per-node timing on and
// sums it by op type and provider (ONNX Runtime's session profiling, as a table).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "onnx_runtime/session.h"

namespace bog::bench {

// {"runs", "ms_per_run" (wall), "kernel_ms_per_run",
//  "op_types": [{"op_type","provider","nodes","ms_per_run","share"}] (largest first),
//  "slowest_nodes": [{"node","op_type","provider","ms_per_run"}] (at most 10)}.
// Profiling is off again when it returns.
[[nodiscard]] nlohmann::json profile_session(runtime::Session& session,
                                             const std::map<std::string, runtime::Value>& feeds,
                                             int runs);

}  // namespace bog::bench
