// DynamicQuantizeLinear on the cpu provider: kept as its own node only where several
// MatMulIntegers read its output (the fusion gives each a DynamicQuantizeMatMul that takes the
// uint8 tensor), so X is quantized once for all of them.
#include <algorithm>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"
#include "onnx_runtime/providers/cpu/quant/dynamic_quantize_rows.h"
#include "onnx_runtime/providers/cpu/quant/quant_kernels.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"

namespace bog::runtime::cpu {

KernelFn make_dynamic_quantize_linear(std::shared_ptr<ThreadPool> pool, Int8Isa isa,
                                      std::shared_ptr<const LaneLink> lane, KernelFn fallback) {
  return [pool, isa, lane, fallback](KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    if (x.dtype() != DType::kFloat32) return fallback(ctx);
    const bool avx512 = isa == Int8Isa::kAvx512Vnni;
    const DqlParams q =
        dql_batch_params(x.data<float>(), x.numel(), avx512, pool.get(), lane.get());
    Tensor& y = ctx.output_uninit(0, DType::kUint8, x.shape());
    ctx.output_uninit(1, DType::kFloat32, {}).data<float>()[0] = q.scale;
    ctx.output_uninit(2, DType::kUint8, {}).data<uint8_t>()[0] = static_cast<uint8_t>(q.zero_point);
    // Rows of the last axis (or the whole tensor, for rank 0), over the pool.
    const int64_t k = x.rank() == 0 ? 1 : std::max<int64_t>(1, x.dim(x.rank() - 1));
    const int64_t rows = x.numel() / k;
    parallel_ranges(pool.get(), rows, std::max<int64_t>(1, kMinParallelFloats / k),
                    [&](int64_t r0, int64_t r1) {
                      for (int64_t row = r0; row < r1; ++row) {
                        dql_quantize_row(x.data<float>() + row * k, k, q,
                                         y.data<uint8_t>() + row * k, avx512);
                      }
                    });
  };
}

}  // namespace bog::runtime::cpu
