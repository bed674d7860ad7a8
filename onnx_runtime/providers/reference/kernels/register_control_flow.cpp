// Registration of the control_flow reference kernels.
#include "onnx_runtime/providers/reference/kernels/families.h"

namespace bog::runtime {

void register_control_flow_kernels(KernelRegistry& /*registry*/) {}

}  // namespace bog::runtime
