// GatherBlockQuantized (com.microsoft, ONNX Runtime contrib op) for uint8 storage: gathers rows
// of a block-quantized table and dequantizes them.
//   data: uint8 [R, C * bits / 8] (codes packed low bits first along the last axis);
//   indices: int32/int64 (negative counts from the end; out of range is an error here, where
//   ORT writes zeros); scales: float [R, ceil(C / block_size)]; zero_points (optional): uint8
//   packed like data, [R, ceil(ceil(C / block_size) * bits / 8)]; default zero point
//   2^(bits-1). Attributes gather_axis = 0, quantize_axis = last (ORT's only uint8 form),
//   block_size (power of 2 >= 16, default 128), bits (2, 4, 8; default 4).
//   out[idx..., c] = float(code - zero_point) * scale[row][c / block_size].
#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/quant_contrib.h"

namespace bog::runtime::ref {
namespace {

[[noreturn]] void bad(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("GatherBlockQuantized node '{}': {}", node.name, what));
}

void gather_block_quantized(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const Tensor& scales = ctx.input(2);
  const int bits = static_cast<int>(node.attr_int("bits", 4));
  const int64_t block = node.attr_int("block_size", 128);
  if (data.dtype() != DType::kUint8) bad(node, "only uint8 data is supported");
  if (data.rank() != 2) bad(node, "only 2-D data is supported");
  if (node.attr_int("gather_axis", 0) != 0) bad(node, "uint8 data needs gather_axis 0");
  const int64_t qa = node.attr_int("quantize_axis", 1);
  if (qa != 1 && qa != -1) bad(node, "uint8 data needs quantize_axis = last");
  if (bits != 2 && bits != 4 && bits != 8) bad(node, fmt::format("bits {} unsupported", bits));
  if (block < 16 || (block & (block - 1)) != 0) {
    bad(node, fmt::format("block_size {} is not a power of 2 >= 16", block));
  }
  if (indices.dtype() != DType::kInt64 && indices.dtype() != DType::kInt32) {
    bad(node, "indices must be int32 or int64");
  }
  const int64_t rows = data.dim(0);
  const int64_t cols = data.dim(1) * (8 / bits);
  const int64_t blocks = (cols + block - 1) / block;
  if (scales.dtype() != DType::kFloat32 || scales.rank() != 2 || scales.dim(0) != rows ||
      scales.dim(1) != blocks) {
    bad(node, fmt::format("scales must be float32 [{}, {}]", rows, blocks));
  }
  const Tensor* zp = ctx.has_input(3) ? &ctx.input(3) : nullptr;
  const int64_t zp_row = (blocks * bits + 7) / 8;
  if (zp != nullptr && (zp->dtype() != DType::kUint8 || zp->rank() != 2 || zp->dim(0) != rows ||
                        zp->dim(1) != zp_row)) {
    bad(node, fmt::format("zero_points must be uint8 [{}, {}]", rows, zp_row));
  }
  Shape out_shape = indices.shape();
  out_shape.push_back(cols);
  Tensor& y = ctx.allocate_output(0, DType::kFloat32, out_shape);
  float* out = y.data<float>();
  const int64_t row_bytes = data.dim(1);
  for (int64_t i = 0; i < indices.numel(); ++i) {
    int64_t r =
        indices.dtype() == DType::kInt64 ? indices.data<int64_t>()[i] : indices.data<int32_t>()[i];
    if (r < -rows || r >= rows) bad(node, fmt::format("index {} out of range [0, {})", r, rows));
    if (r < 0) r += rows;
    const uint8_t* row = data.data<uint8_t>() + r * row_bytes;
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t b = c / block;
      const int32_t z = zp != nullptr ? packed_code(zp->data<uint8_t>() + r * zp_row, b, bits)
                                      : (1 << (bits - 1));
      const float s = scales.data<float>()[r * blocks + b];
      out[i * cols + c] = static_cast<float>(packed_code(row, c, bits) - z) * s;
    }
  }
}

}  // namespace

void register_gather_block_quantized(KernelRegistry& registry) {
  registry.add({"GatherBlockQuantized", kMsDomain, 1, 1 << 20, gather_block_quantized});
}

}  // namespace bog::runtime::ref
