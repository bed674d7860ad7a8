// Flag checks the subcommands share.
#pragma once

#include <string>
#include <vector>

namespace bog::cli {

// Error(kInvalidArgument) naming the known providers when a name is unknown or the list empty.
void check_provider_names(const std::vector<std::string>& names);

}  // namespace bog::cli
