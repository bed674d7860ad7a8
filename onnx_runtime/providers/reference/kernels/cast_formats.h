// Small floating-point formats for Cast: float16, bfloat16, the four float8 variants and
// float4e2m1 encoded from and decoded to double with one generic rule set, plus float8e8m0.
// Follows the ONNX Cast specification and its conformance data: round to nearest even,
// `saturate` clamping out-of-range values to the largest finite value for the float8 types,
// and each format's own NaN/Inf/negative-zero encodings.
#pragma once

#include <cstdint>

#include "onnx_runtime/dtype.h"

namespace bog::runtime::ref {

// True for float16, bfloat16, the four float8 types and float4e2m1.
bool is_cast_small_float(DType dtype);

// Bit pattern of `x` in `dtype` (low bits of the result). `saturate` only matters for the
// float8 types: float16/bfloat16 overflow to Inf; float4e2m1 always saturates.
uint32_t encode_small_float(double x, DType dtype, bool saturate);

// Value of bit pattern `bits` in `dtype`.
double decode_small_float(uint32_t bits, DType dtype);

// float8e8m0 is a bare power of two, 2^(bits-127), with 0xFF as NaN. A value between two
// powers of two goes up (the default), down, or to the nearest one with ties going up.
enum class E8M0Rounding { kUp, kDown, kNearest };
uint8_t encode_e8m0(double x, bool saturate, E8M0Rounding rounding);
double decode_e8m0(uint8_t bits);

}  // namespace bog::runtime::ref
