// What a --precision request gets on this CPU, for reports: the precision asked for, the one
// that runs, the kernel, and the reason when it falls back (runtime::cpu_precision).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace bog::parity {

// {"requested", "used", "kernel", "reason"} of cpu_precision() for a --precision value
// (Error(kInvalidArgument) for one that is not fp32 or bf16).
[[nodiscard]] nlohmann::json precision_json(const std::string& requested);
// One line for text output: "precision: bf16 (amx_bf16)" or the fallback and its reason.
[[nodiscard]] std::string precision_line(const std::string& requested);

}  // namespace bog::parity
