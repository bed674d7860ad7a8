// The project's one error type: a category (mapped to a CLI exit code) and a one-line message.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace bog {

enum class ErrorCategory {
  kInvalidArgument,
  kInvalidModel,
  kIo,
  kUnsupported,
  kParityFailed,
  kProviderUnavailable,
  kInternal,
};

class Error : public std::runtime_error {  // what() is the whole message, one line
 public:
  Error(ErrorCategory category, std::string message);
  ErrorCategory category() const noexcept { return category_; }

 private:
  ErrorCategory category_;
};

// "invalid_model", "io", ...: the name printed as error[<name>] and used in JSON.
std::string_view category_name(ErrorCategory category);

// Process exit code for a category: 2 invalid_argument, 3 invalid_model, 4 io, 5 unsupported,
// 6 parity_failed, 7 provider_unavailable, 70 internal. 1 stays "command failed" (e.g. a
// conformance regression or a --compare mismatch).
int exit_code(ErrorCategory category);

}  // namespace bog
