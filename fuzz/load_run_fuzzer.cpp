// libFuzzer entry point: bytes -> loader -> session (reference provider) -> one run on small
// random feeds. Anything but a bog::Error escaping, a sanitizer report, a leak or a timeout is a
// finding; `make fuzz` runs it, CI runs it for a bounded time.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/load_and_run.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)bog::fuzz::load_and_run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
