// Reading and writing float-family tensors (float32/64, float16, bfloat16) as doubles, so the
// advanced reference kernels compute every precision with one plain double-precision loop.
#pragma once

#include <vector>

#include "onnx_runtime/graph.h"
#include "onnx_runtime/tensor.h"

namespace bog::runtime::ref {

// True for float32, float64, float16 and bfloat16.
bool is_float_family(DType dtype);

// The elements of a float-family tensor widened to double; Error(kUnsupported) otherwise.
std::vector<double> read_doubles(const Tensor& t, const Node& node);

// Elements of any numeric (int, bool or float-family) tensor as doubles.
std::vector<double> read_numeric_as_doubles(const Tensor& t, const Node& node);

// A new tensor of `dtype` (float family) and `shape` holding `values` (rounded to nearest).
Tensor make_float_tensor(DType dtype, Shape shape, const std::vector<double>& values,
                         const Node& node);

}  // namespace bog::runtime::ref
