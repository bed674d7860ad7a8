#include "cli/cli_util.h"

#include "common/error.h"
#include "onnx_runtime/execution_provider.h"

namespace bog::cli {

void check_provider_names(const std::vector<std::string>& names) {
  if (names.empty())
    throw Error(ErrorCategory::kInvalidArgument, "--provider needs at least one name");
  for (const std::string& name : names) (void)runtime::make_provider(name);
}

}  // namespace bog::cli
