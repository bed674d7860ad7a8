// Driver probe through dlopen: no link-time dependency on libcuda, so binaries start (and
// report "no CUDA driver") on machines that have none.
#include "onnx_runtime/providers/cuda/cuda_probe.h"

#include <dlfcn.h>
#include <fmt/format.h>

namespace bog::runtime {
namespace {

// The few driver API entry points we need, with the C types of cuda.h (CUresult and CUdevice
// are int, CUdevice_attribute is an enum passed as int).
using CuInit = int (*)(unsigned int);
using CuDriverGetVersion = int (*)(int*);
using CuDeviceGetCount = int (*)(int*);
using CuDeviceGet = int (*)(int*, int);
using CuDeviceGetName = int (*)(char*, int, int);
using CuDeviceGetAttribute = int (*)(int*, int, int);
using CuDeviceTotalMem = int (*)(size_t*, int);

constexpr int kAttrComputeCapabilityMajor = 75;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
constexpr int kAttrComputeCapabilityMinor = 76;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR

template <class Fn>
Fn symbol(void* lib, const char* name) {
  return reinterpret_cast<Fn>(dlsym(lib, name));
}

CudaProbe run_probe() {
  CudaProbe p;
  // Kept loaded for the life of the process (the runtime library uses it too).
  void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    p.driver_error = "libcuda.so.1 not found";
    return p;
  }
  const auto cu_init = symbol<CuInit>(lib, "cuInit");
  const auto get_version = symbol<CuDriverGetVersion>(lib, "cuDriverGetVersion");
  const auto get_count = symbol<CuDeviceGetCount>(lib, "cuDeviceGetCount");
  const auto get_device = symbol<CuDeviceGet>(lib, "cuDeviceGet");
  const auto get_name = symbol<CuDeviceGetName>(lib, "cuDeviceGetName");
  const auto get_attr = symbol<CuDeviceGetAttribute>(lib, "cuDeviceGetAttribute");
  auto total_mem = symbol<CuDeviceTotalMem>(lib, "cuDeviceTotalMem_v2");
  if (total_mem == nullptr) total_mem = symbol<CuDeviceTotalMem>(lib, "cuDeviceTotalMem");
  if (!cu_init || !get_version || !get_count || !get_device || !get_name || !get_attr) {
    p.driver_error = "libcuda.so.1 lacks the driver API entry points";
    return p;
  }
  if (get_version(&p.driver_version) != 0) p.driver_version = 0;
  if (const int rc = cu_init(0); rc != 0) {
    // 100 is CUDA_ERROR_NO_DEVICE: the driver is there, the device is not.
    if (rc == 100) {
      p.driver_found = true;
      return p;
    }
    p.driver_error = fmt::format("cuInit failed with CUresult {}", rc);
    return p;
  }
  p.driver_found = true;
  int count = 0;
  if (get_count(&count) != 0) count = 0;
  for (int i = 0; i < count; ++i) {
    int dev = 0;
    if (get_device(&dev, i) != 0) continue;
    CudaDeviceInfo d;
    d.index = i;
    char name[256] = {};
    if (get_name(name, static_cast<int>(sizeof(name)) - 1, dev) == 0) d.name = name;
    (void)get_attr(&d.cc_major, kAttrComputeCapabilityMajor, dev);
    (void)get_attr(&d.cc_minor, kAttrComputeCapabilityMinor, dev);
    size_t bytes = 0;
    if (total_mem != nullptr && total_mem(&bytes, dev) == 0) {
      d.total_memory_bytes = static_cast<int64_t>(bytes);
    }
    p.devices.push_back(std::move(d));
  }
  return p;
}

}  // namespace

std::string CudaProbe::unavailable_reason() const {
  if (!driver_found) return fmt::format("no CUDA driver ({})", driver_error);
  if (devices.empty()) return "no device";
  const CudaDeviceInfo& d = devices.front();
  if (d.cc_major < kCudaMinComputeMajor) {
    return fmt::format("compute capability {}.{} < {}.0 required ({})", d.cc_major, d.cc_minor,
                       kCudaMinComputeMajor, d.name);
  }
  return {};
}

const CudaProbe& probe_cuda() {
  static const CudaProbe probe = run_probe();
  return probe;
}

CudaBuildInfo cuda_build_info() {
#ifdef BOG_HAVE_CUDA
  return {true, BOG_CUDA_TOOLKIT_VERSION, BOG_CUDA_ARCHITECTURES};
#else
  return {};
#endif
}

std::string cuda_version_string(int version) {
  if (version <= 0) return "unknown";
  return fmt::format("{}.{}", version / 1000, (version % 1000) / 10);
}

}  // namespace bog::runtime
