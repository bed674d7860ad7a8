#include "parity/precision_report.h"

#include <fmt/format.h>

#include "onnx_runtime/precision.h"

namespace bog::parity {

nlohmann::json precision_json(const std::string& requested) {
  const runtime::PrecisionChoice c = runtime::cpu_precision(runtime::parse_precision(requested));
  return {{"requested", runtime::precision_name(c.requested)},
          {"used", runtime::precision_name(c.used)},
          {"kernel", c.kernel},
          {"reason", c.reason}};
}

std::string precision_line(const std::string& requested) {
  const runtime::PrecisionChoice c = runtime::cpu_precision(runtime::parse_precision(requested));
  if (!c.reason.empty())
    return fmt::format("precision: {} ({})", runtime::precision_name(c.used), c.reason);
  return fmt::format("precision: {} ({})", runtime::precision_name(c.used), c.kernel);
}

}  // namespace bog::parity
