// MatMulNBits (com.microsoft, ONNX Runtime contrib op): Y = A @ dequantize(B)^T-blocked.
//   A: float [..., K]; B: uint8 [N, k_blocks, block_size * bits / 8], the codes of column n of
//   the logical [K, N] weight, `block_size` consecutive k per block, packed low bits first;
//   scales: float [N, k_blocks] (or flat [N * k_blocks]); zero_points (optional): uint8 codes
//   packed like B, [N, ceil(k_blocks * bits / 8)], or float [N * k_blocks]; default zero point
//   2^(bits-1); g_idx unsupported; bias (optional) float [N].
//   W[k][n] = (code - zero_point) * scale[n][k / block_size], computed in float as ORT does;
//   the product accumulates in double, so this kernel is the exact-as-possible twin.
#include <fmt/format.h>

#include <vector>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/quant_contrib.h"

namespace bog::runtime::ref {
namespace {

[[noreturn]] void bad(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("MatMulNBits node '{}': {}", node.name, what));
}

void matmul_nbits(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  const Tensor& scales = ctx.input(2);
  const int64_t k = node.attr_int("K", -1);
  const int64_t n = node.attr_int("N", -1);
  const int bits = static_cast<int>(node.attr_int("bits", 4));
  const int64_t block = node.attr_int("block_size", -1);
  if (k <= 0 || n <= 0) bad(node, "attributes K and N must be positive");
  if (bits != 2 && bits != 4 && bits != 8) bad(node, fmt::format("bits {} unsupported", bits));
  if (block < 16 || (block & (block - 1)) != 0) {
    bad(node, fmt::format("block_size {} is not a power of 2 >= 16", block));
  }
  if (ctx.has_input(4) && ctx.input(4).numel() > 0) bad(node, "g_idx is not supported");
  if (a.dtype() != DType::kFloat32 || b.dtype() != DType::kUint8 ||
      scales.dtype() != DType::kFloat32) {
    bad(node, "want float32 A and scales and uint8 B");
  }
  const int64_t k_blocks = (k + block - 1) / block;
  const int64_t blob = block * bits / 8;
  if (a.rank() < 1 || a.dim(a.rank() - 1) != k) {
    bad(node, fmt::format("A of shape {} does not end in K = {}", shape_to_string(a.shape()), k));
  }
  if (b.numel() != n * k_blocks * blob) {
    bad(node, fmt::format("B holds {} bytes, want N * k_blocks * blob = {}", b.numel(),
                          n * k_blocks * blob));
  }
  if (scales.numel() != n * k_blocks) {
    bad(node, fmt::format("scales hold {} values, want {}", scales.numel(), n * k_blocks));
  }
  const Tensor* zp = ctx.has_input(3) ? &ctx.input(3) : nullptr;
  const int64_t zp_row = (k_blocks * bits + 7) / 8;
  if (zp != nullptr) {
    const bool packed = zp->dtype() == DType::kUint8 && zp->numel() == n * zp_row;
    const bool as_float = zp->dtype() == DType::kFloat32 && zp->numel() == n * k_blocks;
    if (!packed && !as_float) bad(node, "zero_points are neither packed uint8 nor float per block");
  }
  const Tensor* bias = ctx.has_input(5) ? &ctx.input(5) : nullptr;
  if (bias != nullptr && (bias->dtype() != DType::kFloat32 || bias->numel() != n)) {
    bad(node, "bias must be float32 [N]");
  }

  // Dequantized weight, [N][K], exactly as ORT's kernels dequantize: float (code - zp) * scale.
  std::vector<float> w(static_cast<size_t>(n * k));
  const uint8_t* bq = b.data<uint8_t>();
  const float* sv = scales.data<float>();
  for (int64_t c = 0; c < n; ++c) {
    for (int64_t kb = 0; kb < k_blocks; ++kb) {
      const float s = sv[c * k_blocks + kb];
      float z = static_cast<float>(1 << (bits - 1));
      if (zp != nullptr && zp->dtype() == DType::kUint8) {
        z = static_cast<float>(packed_code(zp->data<uint8_t>() + c * zp_row, kb, bits));
      } else if (zp != nullptr) {
        z = zp->data<float>()[c * k_blocks + kb];
      }
      const uint8_t* blk = bq + (c * k_blocks + kb) * blob;
      for (int64_t j = 0; j < block && kb * block + j < k; ++j) {
        const float code = static_cast<float>(packed_code(blk, j, bits));
        w[static_cast<size_t>(c * k + kb * block + j)] = (code - z) * s;
      }
    }
  }
  Shape out_shape = a.shape();
  out_shape.back() = n;
  Tensor& y = ctx.allocate_output(0, DType::kFloat32, out_shape);
  const int64_t m = k == 0 ? 0 : a.numel() / k;
  const float* av = a.data<float>();
  float* yv = y.data<float>();
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t c = 0; c < n; ++c) {
      double acc = 0.0;
      for (int64_t i = 0; i < k; ++i) {
        acc += static_cast<double>(av[r * k + i]) * w[static_cast<size_t>(c * k + i)];
      }
      if (bias != nullptr) acc += bias->data<float>()[c];
      yv[r * n + c] = static_cast<float>(acc);
    }
  }
}

}  // namespace

void register_matmul_nbits(KernelRegistry& registry) {
  registry.add({"MatMulNBits", kMsDomain, 1, 1 << 20, matmul_nbits});
}

}  // namespace bog::runtime::ref
