// What the fuzz target does with one input, shared with the regression test that replays every
// input the fuzzer ever crashed on (tests/fuzz/): load bytes as an ONNX model, create a session,
// run it once on small random feeds. Bad input must end in a bog::Error, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bog::fuzz {

// The limits a user would set for an untrusted model (the conformance runner's spirit): inputs
// larger than this are not tried, and feeds stay small so one run stays short.
inline constexpr size_t kMaxModelBytes = 1 << 20;
inline constexpr int64_t kMaxFeedElements = 1 << 12;

enum class Outcome {
  kTooLarge,     // over kMaxModelBytes; not tried
  kRejected,     // the loader or session refused it with a bog::Error
  kNotRunnable,  // loaded, but an input is not a tensor of a dtype we can feed (e.g. sequence)
  kRunFailed,    // the run refused the feeds with a bog::Error
  kRan,          // ran to the end
};

// Throws only what is not a bog::Error (std::out_of_range, std::bad_alloc, ...): a finding.
Outcome load_and_run(std::string_view bytes);

}  // namespace bog::fuzz
