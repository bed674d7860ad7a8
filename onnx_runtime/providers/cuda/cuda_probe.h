// What this machine offers CUDA, found at run time through the driver library (dlopen), so it
// answers on machines with no driver, no device or no toolkit without crashing. Built in every
// configuration: `bog doctor` reports the driver and devices even where the provider is not built.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bog::runtime {

struct CudaDeviceInfo {
  int index = 0;
  std::string name;
  int cc_major = 0;
  int cc_minor = 0;
  int64_t total_memory_bytes = 0;
};

struct CudaProbe {
  bool driver_found = false;  // libcuda.so.1 loaded and cuInit succeeded
  int driver_version = 0;     // e.g. 12040 for 12.4; 0 when unknown
  std::string driver_error;   // why the driver could not be used, when it could not
  std::vector<CudaDeviceInfo> devices;

  // Empty when device 0 can run the provider; otherwise "no CUDA driver (...)", "no device" or
  // "compute capability 6.1 < 8.0 required".
  [[nodiscard]] std::string unavailable_reason() const;
};

inline constexpr int kCudaMinComputeMajor = 8;  // sm_80: the oldest architecture we build for

// Probes once per process (the driver is not reloaded); thread-safe.
const CudaProbe& probe_cuda();

// What this binary was built with: the provider itself only with BOG_CUDA and a toolkit.
struct CudaBuildInfo {
  bool built = false;
  std::string toolkit_version;  // e.g. "13.0.88"; empty when not built
  std::string architectures;    // e.g. "80-real;90-real;90-virtual"
};
CudaBuildInfo cuda_build_info();

// "12.4" from 12040.
std::string cuda_version_string(int version);

}  // namespace bog::runtime
