// Element types, numbered exactly as onnx.TensorProto.DataType so conversion is a cast.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bog::runtime {

enum class DType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUint32 = 12,
  kUint64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBFloat16 = 16,
  kFloat8E4M3FN = 17,
  kFloat8E4M3FNUZ = 18,
  kFloat8E5M2 = 19,
  kFloat8E5M2FNUZ = 20,
  kUint4 = 21,
  kInt4 = 22,
  kFloat4E2M1 = 23,
  kFloat8E8M0 = 24,
  kUint2 = 25,
  kInt2 = 26,
};

// Bytes one element takes in a runtime Tensor. Sub-byte types (int4, uint4, int2, uint2,
// float4e2m1) are stored unpacked, one byte per element; packing happens only at (de)serialization.
// Strings live in a side vector, so kString reports 0. kUndefined and complex types report 0.
size_t dtype_size(DType dtype);

// "float32", "int64", ... (ONNX-style lower-case names, as printed by the CLI).
std::string_view dtype_name(DType dtype);

// True for any value 1..26 this runtime knows how to hold.
bool is_known_dtype(int32_t onnx_data_type);

bool is_float_type(DType dtype);    // float32/64/16, bfloat16, float8*, float4
bool is_integer_type(DType dtype);  // signed and unsigned ints incl. 4/2-bit
bool is_signed_integer(DType dtype);

// 16-bit floats are stored as their bit patterns; conversions round to nearest even.
struct Float16 {
  uint16_t bits = 0;
};
struct BFloat16 {
  uint16_t bits = 0;
};
float to_float(Float16 h);
float to_float(BFloat16 b);
Float16 to_float16(float f);
BFloat16 to_bfloat16(float f);

// C++ type <-> DType for the types kernels template over.
template <class T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::kFloat32; }
template <> constexpr DType dtype_of<double>() { return DType::kFloat64; }
template <> constexpr DType dtype_of<int8_t>() { return DType::kInt8; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::kUint8; }
template <> constexpr DType dtype_of<int16_t>() { return DType::kInt16; }
template <> constexpr DType dtype_of<uint16_t>() { return DType::kUint16; }
template <> constexpr DType dtype_of<int32_t>() { return DType::kInt32; }
template <> constexpr DType dtype_of<uint32_t>() { return DType::kUint32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::kInt64; }
template <> constexpr DType dtype_of<uint64_t>() { return DType::kUint64; }
template <> constexpr DType dtype_of<bool>() { return DType::kBool; }
template <> constexpr DType dtype_of<Float16>() { return DType::kFloat16; }
template <> constexpr DType dtype_of<BFloat16>() { return DType::kBFloat16; }

}  // namespace bog::runtime
