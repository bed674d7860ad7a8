// Registration of the control_flow reference kernels: If, Loop, Scan, sequences, optionals.
#include "onnx_runtime/providers/reference/kernels/control_flow_kernels.h"
#include "onnx_runtime/providers/reference/kernels/families.h"

namespace bog::runtime {

void register_control_flow_kernels(KernelRegistry& registry) {
  ref::register_if_kernels(registry);
  ref::register_loop_kernels(registry);
  ref::register_scan_kernels(registry);
  ref::register_sequence_kernels(registry);
  ref::register_sequence_map_kernels(registry);
  ref::register_optional_kernels(registry);
}

}  // namespace bog::runtime
