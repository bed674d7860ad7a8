// The providers this build knows, by name.
#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/providers/cpu/cpu_provider.h"
#include "onnx_runtime/providers/reference/reference_provider.h"

namespace bog::runtime {

std::vector<std::string> known_provider_names() { return {"reference", "cpu"}; }

std::shared_ptr<ExecutionProvider> make_provider(const std::string& name, int threads) {
  if (name == "reference") return std::make_shared<ReferenceProvider>();
  if (name == "cpu") return std::make_shared<CpuProvider>(threads);
  throw Error(ErrorCategory::kInvalidArgument,
              fmt::format("unknown provider '{}' (known: {})", name,
                          fmt::join(known_provider_names(), ", ")));
}

}  // namespace bog::runtime
