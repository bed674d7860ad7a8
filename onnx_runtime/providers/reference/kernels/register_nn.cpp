// Registration of the nn reference kernels.
#include "onnx_runtime/providers/reference/kernels/families.h"

namespace bog::runtime {

void register_nn_kernels(KernelRegistry& /*registry*/) {}

}  // namespace bog::runtime
