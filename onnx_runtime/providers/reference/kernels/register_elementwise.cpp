// Registration of the elementwise reference kernels.
#include "onnx_runtime/providers/reference/kernels/families.h"

namespace bog::runtime {

void register_elementwise_kernels(KernelRegistry& /*registry*/) {}

}  // namespace bog::runtime
