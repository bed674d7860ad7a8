#include "common/error.h"

#include <algorithm>

namespace bog {
namespace {

// Messages are one line by contract: a multi-line third-party message is folded.
std::string one_line(std::string message) {
  std::replace(message.begin(), message.end(), '\n', ' ');
  std::replace(message.begin(), message.end(), '\r', ' ');
  return message;
}

}  // namespace

Error::Error(ErrorCategory category, std::string message)
    : std::runtime_error(one_line(std::move(message))), category_(category) {}

std::string_view category_name(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::kInvalidArgument: return "invalid_argument";
    case ErrorCategory::kInvalidModel: return "invalid_model";
    case ErrorCategory::kIo: return "io";
    case ErrorCategory::kUnsupported: return "unsupported";
    case ErrorCategory::kParityFailed: return "parity_failed";
    case ErrorCategory::kProviderUnavailable: return "provider_unavailable";
    case ErrorCategory::kInternal: return "internal";
  }
  return "internal";
}

int exit_code(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::kInvalidArgument: return 2;
    case ErrorCategory::kInvalidModel: return 3;
    case ErrorCategory::kIo: return 4;
    case ErrorCategory::kUnsupported: return 5;
    case ErrorCategory::kParityFailed: return 6;
    case ErrorCategory::kProviderUnavailable: return 7;
    case ErrorCategory::kInternal: return 70;
  }
  return 70;
}

}  // namespace bog
