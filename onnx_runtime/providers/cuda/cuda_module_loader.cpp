// Finds and opens libbog_cuda.so (cuda_module.h) the first time cuda is requested.
#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/providers/cuda/cuda_module.h"
#include "onnx_runtime/providers/cuda/cuda_probe.h"

namespace bog::runtime {
namespace {

std::mutex g_mu;
std::string g_loaded;  // the module file opened, once one was

#ifdef BOG_HAVE_CUDA
namespace fs = std::filesystem;

using AbiFn = int (*)();
using CreateFn = void (*)(bool, std::shared_ptr<ExecutionProvider>*, std::string*);

struct Opened {
  std::string path;   // the file opened, empty when none
  std::string error;  // why none could be used
  CreateFn create = nullptr;
};

std::vector<fs::path> candidates() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("BOG_CUDA_MODULE"); env != nullptr && *env != '\0') {
    out.emplace_back(env);
    return out;  // an explicit choice is not second-guessed
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) out.push_back(exe.parent_path() / kCudaModuleFile);
#ifdef BOG_CUDA_MODULE_DIR
  out.push_back(fs::path(BOG_CUDA_MODULE_DIR) / kCudaModuleFile);
#endif
  return out;
}

Opened open_module() {
  Opened o;
  std::vector<std::string> tried;
  for (const fs::path& p : candidates()) {
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) {
      tried.push_back(fmt::format("{} (absent)", p.string()));
      continue;
    }
    void* lib = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* e = dlerror();
      tried.push_back(fmt::format("{} ({})", p.string(), e != nullptr ? e : "dlopen failed"));
      continue;
    }
    const auto abi = reinterpret_cast<AbiFn>(dlsym(lib, "bog_cuda_module_abi"));
    const auto create = reinterpret_cast<CreateFn>(dlsym(lib, "bog_cuda_create_provider"));
    if (abi == nullptr || create == nullptr || abi() != kCudaModuleAbi) {
      tried.push_back(
          fmt::format("{} (not a bog cuda module of ABI {})", p.string(), kCudaModuleAbi));
      continue;  // left mapped: a handle of a library we may not understand is not closed
    }
    o.path = p.string();
    o.create = create;
    return o;
  }
  o.error = tried.empty() ? std::string("no place to look for it")
                          : fmt::format("{}", fmt::join(tried, "; "));
  return o;
}
#endif  // BOG_HAVE_CUDA

}  // namespace

std::shared_ptr<ExecutionProvider> load_cuda_provider(bool allow_tf32, std::string& why) {
#ifndef BOG_HAVE_CUDA
  (void)allow_tf32;
  why =
      "not built: this build has no CUDA provider (configured with BOG_CUDA=OFF or without the "
      "CUDA toolkit)";
  return nullptr;
#else
  (void)probe_cuda();  // the module's provider asks the probe too; keep it in every binary
  const std::lock_guard<std::mutex> lock(g_mu);
  const Opened o = open_module();  // dlopen of a loaded file only counts a reference
  if (o.create == nullptr) {
    why = fmt::format("module {} could not be loaded: {}", kCudaModuleFile, o.error);
    return nullptr;
  }
  g_loaded = o.path;
  std::shared_ptr<ExecutionProvider> p;
  std::string error;
  o.create(allow_tf32, &p, &error);
  if (!p) why = fmt::format("the provider in {} failed to start: {}", o.path, error);
  return p;
#endif
}

std::string loaded_cuda_module() {
  const std::lock_guard<std::mutex> lock(g_mu);
  return g_loaded;
}

}  // namespace bog::runtime
