// Registration of the tensor reference kernels.
#include "onnx_runtime/providers/reference/kernels/families.h"

namespace bog::runtime {

void register_tensor_kernels(KernelRegistry& /*registry*/) {}

}  // namespace bog::runtime
