// The 8- and 4-bit float formats (float8 e4m3fn/e4m3fnuz/e5m2/e5m2fnuz, float4 e2m1): decoding
// to float and encoding with round-to-nearest-even and optional saturation, as ONNX Cast and
// QuantizeLinear define them. A runtime tensor holds one code per byte.
#pragma once

#include <cstdint>

#include "onnx_runtime/dtype.h"

namespace bog::runtime::ref {

// True for the five formats above.
bool is_minifloat(DType dtype);

// The value of `code` in format `dtype` (NaN codes give NaN, e5m2 infinities give inf).
float minifloat_to_float(DType dtype, uint8_t code);

// The nearest code to `x`, ties to the even code. Beyond the largest finite value:
// `saturate` gives +-max; otherwise +-inf for e5m2 and NaN for the formats without infinity.
// float4 e2m1 has neither, so it always saturates. NaN encodes as NaN (e2m1: +max).
uint8_t float_to_minifloat(DType dtype, float x, bool saturate);

}  // namespace bog::runtime::ref
