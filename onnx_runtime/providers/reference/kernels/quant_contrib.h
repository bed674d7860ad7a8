// Registration of the reference kernels for ONNX Runtime's com.microsoft quantization ops
// (MatMulNBits, GatherBlockQuantized), which quantized files written by `bog quantize` use.
#pragma once

#include <cstdint>

#include "onnx_runtime/kernel.h"

namespace bog::runtime::ref {

inline constexpr const char* kMsDomain = "com.microsoft";

// Element j of a row of `bits`-bit codes packed little-end first into bytes (ORT's layout for
// MatMulNBits blobs and GatherBlockQuantized uint8 data: code 0 in the lowest bits).
inline int32_t packed_code(const uint8_t* row, int64_t j, int bits) {
  const int per_byte = 8 / bits;
  const uint8_t byte = row[j / per_byte];
  return (byte >> ((j % per_byte) * bits)) & ((1 << bits) - 1);
}

void register_matmul_nbits(KernelRegistry& registry);
void register_gather_block_quantized(KernelRegistry& registry);

}  // namespace bog::runtime::ref
