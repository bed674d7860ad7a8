// Output comparison with the ONNX backend test runner's rules, shared by `bog run --compare`
// and `bog conformance`: exact kind, dtype and shape; strings exact; numbers
// |actual - expected| <= atol + rtol * |expected| with NaN == NaN and infinities exact;
// sequences and optionals element by element.
#pragma once

#include <string>

#include "onnx_runtime/value.h"

namespace bog::conformance {

struct Tolerance {
  double rtol = 1e-3;  // ONNX's backend defaults (onnx/backend/test/loader)
  double atol = 1e-7;
};

struct CompareResult {
  bool ok = true;
  double max_abs_diff = 0.0;  // over finite element pairs; 0 when nothing numeric compared
  int64_t mismatches = 0;     // elements outside the tolerance
  std::string reason;         // first problem, one line; empty when ok
};

// Compares one output value against its expected value.
CompareResult compare_values(const runtime::Value& actual, const runtime::Value& expected,
                             const Tolerance& tolerance);

// Element i of a numeric tensor as a double (float8/float4/16-bit floats decoded, sub-byte
// ints sign-extended as stored). For previews and comparisons; complex types give the real part.
double element_as_double(const runtime::Tensor& tensor, int64_t i);

}  // namespace bog::conformance
