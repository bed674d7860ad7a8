// Sigmoid for float32 on Eigen's vectorised logistic (SwiGLU's gate runs it on every MLP row).
#include <Eigen/Core>

#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"

namespace bog::runtime::cpu {

KernelFn make_sigmoid(KernelFn fallback) {
  return [fallback](KernelContext& ctx) {
    if (!all_float32(ctx)) return fallback(ctx);
    const Tensor& x = ctx.input(0);
    Tensor& out = ctx.allocate_output(0, DType::kFloat32, x.shape());
    const Eigen::Index n = static_cast<Eigen::Index>(x.numel());
    if (n == 0) return;
    Eigen::Map<Eigen::ArrayXf>(out.data<float>(), n) =
        Eigen::Map<const Eigen::ArrayXf>(x.data<float>(), n).logistic();
  };
}

}  // namespace bog::runtime::cpu
