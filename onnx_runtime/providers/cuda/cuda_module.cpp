// The entry points of libbog_cuda.so (cuda_module.h). The module's references to the rest of the
// runtime resolve against the executable that opens it (built with ENABLE_EXPORTS), so there is
// one runtime in the process, not a second copy inside the module.
#include "onnx_runtime/providers/cuda/cuda_module.h"

#include <exception>

#include "onnx_runtime/providers/cuda/cuda_provider.h"

extern "C" int bog_cuda_module_abi() { return bog::runtime::kCudaModuleAbi; }

extern "C" void bog_cuda_create_provider(bool allow_tf32,
                                         std::shared_ptr<bog::runtime::ExecutionProvider>* out,
                                         std::string* error) noexcept {
  // Nothing may cross the C boundary: a failure comes back as the message.
  try {
    *out = std::make_shared<bog::runtime::CudaProvider>(allow_tf32);
  } catch (const std::exception& e) {
    *error = e.what();
  } catch (...) {
    *error = "unknown error";
  }
}
