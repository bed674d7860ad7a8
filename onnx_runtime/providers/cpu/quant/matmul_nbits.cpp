// MatMulNBits (com.microsoft) for float32 A with 2/4/8-bit B: for each 16-column panel the
// quantized blocks are dequantized on the fly into a [K x 16] float panel (64 KiB at K = 1024,
// so it stays in L2), which every row of A then streams against. The dequantization is ORT's
// (float(code - zero_point) * scale); only the summation order differs from the reference.
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <vector>

#include "onnx_runtime/providers/cpu/quant/nbits_gemv.h"
#include "onnx_runtime/providers/cpu/quant/quant_kernels.h"
#include "onnx_runtime/providers/reference/kernels/quant_contrib.h"

namespace bog::runtime::cpu {
namespace {

constexpr int64_t kPanel = 16;

struct NBitsShape {
  int64_t k = 0, n = 0, block = 0, k_blocks = 0, blob = 0;
  int bits = 4;
};

// Dequantizes columns [c0, c0 + 16) of the logical [K, N] weight into panel[k][16].
void dequantize_panel(const NBitsShape& s, const uint8_t* b, const float* scales, const uint8_t* zp,
                      int64_t zp_row, int64_t c0, float* panel) {
  const int64_t cols = std::min(kPanel, s.n - c0);
  std::fill(panel, panel + s.k * kPanel, 0.0f);
  for (int64_t j = 0; j < cols; ++j) {
    const int64_t c = c0 + j;
    for (int64_t kb = 0; kb < s.k_blocks; ++kb) {
      const float scale = scales[c * s.k_blocks + kb];
      const int32_t z =
          zp != nullptr ? ref::packed_code(zp + c * zp_row, kb, s.bits) : (1 << (s.bits - 1));
      const uint8_t* blk = b + (c * s.k_blocks + kb) * s.blob;
      const int64_t k0 = kb * s.block;
      const int64_t len = std::min(s.block, s.k - k0);
      if (s.bits == 4) {
        for (int64_t i = 0; i < len; ++i) {
          const int32_t code = (blk[i >> 1] >> ((i & 1) * 4)) & 0xF;
          panel[(k0 + i) * kPanel + j] = static_cast<float>(code - z) * scale;
        }
      } else {
        for (int64_t i = 0; i < len; ++i) {
          panel[(k0 + i) * kPanel + j] =
              static_cast<float>(ref::packed_code(blk, i, s.bits) - z) * scale;
        }
      }
    }
  }
}

// y[r][c0 .. c0+cols) = a[r] . panel for `rows` rows (4 at a time to reuse each panel load).
void panel_product(const float* a, int64_t k, int64_t rows, const float* panel, const float* bias,
                   int64_t c0, int64_t cols, float* y, int64_t n) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    float acc[4][kPanel] = {};
    const float* a0 = a + r * k;
    for (int64_t i = 0; i < k; ++i) {
      const float* p = panel + i * kPanel;
      const float x0 = a0[i], x1 = a0[k + i], x2 = a0[2 * k + i], x3 = a0[3 * k + i];
      for (int64_t j = 0; j < kPanel; ++j) {
        acc[0][j] += x0 * p[j];
        acc[1][j] += x1 * p[j];
        acc[2][j] += x2 * p[j];
        acc[3][j] += x3 * p[j];
      }
    }
    for (int q = 0; q < 4; ++q) {
      for (int64_t j = 0; j < cols; ++j) {
        y[(r + q) * n + c0 + j] = acc[q][j] + (bias ? bias[c0 + j] : 0.0f);
      }
    }
  }
  for (; r < rows; ++r) {
    float acc[kPanel] = {};
    const float* ar = a + r * k;
    for (int64_t i = 0; i < k; ++i) {
      const float* p = panel + i * kPanel;
      const float x0 = ar[i];
      for (int64_t j = 0; j < kPanel; ++j) acc[j] += x0 * p[j];
    }
    for (int64_t j = 0; j < cols; ++j) y[r * n + c0 + j] = acc[j] + (bias ? bias[c0 + j] : 0.0f);
  }
}

}  // namespace

KernelFn make_matmul_nbits(int threads, KernelFn fallback) {
  return [threads, fallback = std::move(fallback)](KernelContext& ctx) {
    const Node& node = ctx.node();
    NBitsShape s;
    s.k = node.attr_int("K", -1);
    s.n = node.attr_int("N", -1);
    s.bits = static_cast<int>(node.attr_int("bits", 4));
    s.block = node.attr_int("block_size", -1);
    const Tensor& a = ctx.input(0);
    const bool plain_zp = !ctx.has_input(3) || ctx.input(3).dtype() == DType::kUint8;
    const bool no_gidx = !ctx.has_input(4) || ctx.input(4).numel() == 0;
    if (a.dtype() != DType::kFloat32 || !plain_zp || !no_gidx || s.k <= 0 || s.n <= 0 ||
        s.block < 16 || (s.bits != 2 && s.bits != 4 && s.bits != 8) || a.rank() < 1 ||
        a.dim(a.rank() - 1) != s.k) {
      return fallback(ctx);  // the reference kernel validates and reports
    }
    s.k_blocks = (s.k + s.block - 1) / s.block;
    s.blob = s.block * s.bits / 8;
    const Tensor& b = ctx.input(1);
    const Tensor& scales = ctx.input(2);
    const int64_t zp_row = (s.k_blocks * s.bits + 7) / 8;
    const Tensor* zp = ctx.has_input(3) ? &ctx.input(3) : nullptr;
    const Tensor* bias = ctx.has_input(5) ? &ctx.input(5) : nullptr;
    if (b.dtype() != DType::kUint8 || b.numel() != s.n * s.k_blocks * s.blob ||
        scales.dtype() != DType::kFloat32 || scales.numel() != s.n * s.k_blocks ||
        (zp && zp->numel() != s.n * zp_row) ||
        (bias && (bias->dtype() != DType::kFloat32 || bias->numel() != s.n))) {
      return fallback(ctx);
    }
    Shape out_shape = a.shape();
    out_shape.back() = s.n;
    Tensor& y = ctx.allocate_output(0, DType::kFloat32, out_shape);
    const int64_t m = a.numel() / s.k;
    const int64_t panels = (s.n + kPanel - 1) / kPanel;
    const uint8_t* bq = b.data<uint8_t>();
    const float* sv = scales.data<float>();
    const uint8_t* zv = zp ? zp->data<uint8_t>() : nullptr;
    const float* bv = bias ? bias->data<float>() : nullptr;
    const float* av = a.data<float>();
    float* yv = y.data<float>();
    // Up to 64 rows (decode steps, short prefills): the rows read the packed bytes directly.
    // Longer inputs (a classifier's batch x sequence) amortise the float panels better.
    if ((s.bits == 4 || s.bits == 8) && m >= 1 && m <= 64) {
      const NbitsWeight w{s.k, s.n, s.block, s.k_blocks, s.bits, bq, sv, zv, bv};
      if (nbits_gemv_supported(w)) {
        // Four rows at a time, every packed byte read once per group and dequantized in
        // registers: a decode step is one group.
        thread_local std::vector<float> prepared;
        nbits_prepare_rows(w, av, m, prepared);
        const float* pa = prepared.data();  // this thread's buffer, read by the team
        const int64_t groups = (s.n + 3) / 4;
#pragma omp parallel num_threads(threads) if (threads > 1 && m * s.n * s.k > (1 << 18))
        {
          const int nt = omp_get_num_threads(), t = omp_get_thread_num();
          // Column ranges in multiples of 4: the kernel's column group.
          const int64_t c0 = std::min(s.n, groups * t / nt * 4);
          const int64_t c1 = std::min(s.n, groups * (t + 1) / nt * 4);
          for (int64_t r = 0; r < m && c1 > c0; r += 4) {
            nbits_gemv(w, pa, m, r, std::min<int64_t>(4, m - r), c0, c1, yv);
          }
        }
        return;
      }
    }
    const bool by_panel = panels >= threads * 2 || m < 64;
#pragma omp parallel num_threads(threads) if (threads > 1 && m * s.n * s.k > (1 << 16))
    {
      std::vector<float> panel(static_cast<size_t>(s.k * kPanel));
      if (by_panel) {
#pragma omp for schedule(static)
        for (int64_t p = 0; p < panels; ++p) {
          dequantize_panel(s, bq, sv, zv, zp_row, p * kPanel, panel.data());
          panel_product(av, s.k, m, panel.data(), bv, p * kPanel,
                        std::min(kPanel, s.n - p * kPanel), yv, s.n);
        }
      } else {
        const int nt = omp_get_num_threads();
        const int t = omp_get_thread_num();
        const int64_t r0 = m * t / nt, r1 = m * (t + 1) / nt;
        for (int64_t p = 0; p < panels; ++p) {
          dequantize_panel(s, bq, sv, zv, zp_row, p * kPanel, panel.data());
          panel_product(av + r0 * s.k, s.k, r1 - r0, panel.data(), bv, p * kPanel,
                        std::min(kPanel, s.n - p * kPanel), yv + r0 * s.n, s.n);
        }
      }
    }
  };
}

}  // namespace bog::runtime::cpu
