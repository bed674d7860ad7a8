// The arithmetic a session is asked to run its GEMMs in (SessionOptions::precision). fp32 is
// exact float32 everywhere. bf16: the cpu provider rounds constant GEMM weights (FusedMatMul)
// and their activations to bfloat16 and accumulates in fp32, on AMX or AVX512_BF16; on a CPU
// with neither it runs fp32 and says why (cpu_precision()). Other ops stay fp32.
#pragma once

#include <string>
#include <string_view>

namespace bog::runtime {

enum class Precision { kFp32, kBf16 };

// "fp32" | "bf16"; Error(kInvalidArgument) naming the accepted values otherwise.
Precision parse_precision(std::string_view name);
std::string_view precision_name(Precision p);

// What the cpu provider runs for a requested precision on this machine.
struct PrecisionChoice {
  Precision requested = Precision::kFp32;
  Precision used = Precision::kFp32;
  std::string kernel;  // "fp32", "amx_bf16", "avx512_bf16"
  std::string reason;  // why `used` differs from `requested` ("" when they match)
};
PrecisionChoice cpu_precision(Precision requested);

}  // namespace bog::runtime
