// The cuda provider lives in a module of its own (libbog_cuda.so), opened with dlopen only when
// a session asks for cuda: cuBLAS and cuBLASLt map about 210 MB when they load, which every
// process paid at start (even `bog --help`) while the provider was linked into the runtime.
// The module's C entry points are declared here; the loader (cuda_module_loader.cpp) is built in
// every configuration and says why when there is no module to load.
#pragma once

#include <memory>
#include <string>

namespace bog::runtime {

class ExecutionProvider;

// Bumped whenever the entry points or the provider interface change shape: a module built from
// other sources is refused instead of called.
inline constexpr int kCudaModuleAbi = 1;
inline constexpr const char* kCudaModuleFile = "libbog_cuda.so";

// A cuda provider from the module (which reports "no device" itself where there is none), or
// nullptr with `why` saying what is missing: "not built: ..." in a build without CUDA, or
// "module libbog_cuda.so could not be loaded: ...". The module is looked for at $BOG_CUDA_MODULE
// (a file), beside the executable, then in the build tree; it is never unloaded.
std::shared_ptr<ExecutionProvider> load_cuda_provider(bool allow_tf32, std::string& why);

// The module file that load_cuda_provider opened (empty before, or when none was found).
std::string loaded_cuda_module();

}  // namespace bog::runtime

// What the module exports (resolved with dlsym by these names).
extern "C" {
int bog_cuda_module_abi();
// Makes the provider into *out; on a failure *out stays empty and *error says why. Never throws.
void bog_cuda_create_provider(bool allow_tf32,
                              std::shared_ptr<bog::runtime::ExecutionProvider>* out,
                              std::string* error) noexcept;
}
