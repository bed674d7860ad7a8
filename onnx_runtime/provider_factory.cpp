// The providers this build knows, by name.
#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/providers/reference/reference_provider.h"

namespace bog::runtime {

std::vector<std::string> known_provider_names() { return {"reference"}; }

std::shared_ptr<ExecutionProvider> make_provider(const std::string& name) {
  if (name == "reference") return std::make_shared<ReferenceProvider>();
  throw Error(ErrorCategory::kInvalidArgument,
              fmt::format("unknown provider '{}' (known: {})", name,
                          fmt::join(known_provider_names(), ", ")));
}

}  // namespace bog::runtime
