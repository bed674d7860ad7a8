// Registration of the advanced reference kernels.
#include "onnx_runtime/providers/reference/kernels/families.h"

namespace bog::runtime {

void register_advanced_kernels(KernelRegistry& /*registry*/) {}

}  // namespace bog::runtime
