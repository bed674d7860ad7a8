// MatMul / Gemm for float32 on Eigen's GEMM. Batched operands broadcast as in
// numpy; the work is split into (batch, row-block) chunks across OpenMP threads, each chunk an
// independent Eigen product, so results do not depend on the thread count.
#include <fmt/format.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <Eigen/Core>
#include <algorithm>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::cpu {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMatrix>;
using MutMap = Eigen::Map<RowMatrix>;

// Eigen parallelises a product by itself with omp_get_max_threads() threads when it is not
// already inside a parallel region. The provider's `threads` must bound that too (a 1-thread
// session beside other busy processes otherwise pays for OpenMP barriers it never asked for),
// so the calling thread's OpenMP thread count is set for the kernel and restored after. It is a
// per-thread setting: nothing else in the process sees it.
class OmpThreadScope {
 public:
  explicit OmpThreadScope(int threads) {
#ifdef _OPENMP
    previous_ = omp_get_max_threads();
    omp_set_num_threads(threads);
#else
    (void)threads;
#endif
  }
  ~OmpThreadScope() {
#ifdef _OPENMP
    omp_set_num_threads(previous_);
#endif
  }
  OmpThreadScope(const OmpThreadScope&) = delete;
  OmpThreadScope& operator=(const OmpThreadScope&) = delete;

 private:
  int previous_ = 1;
};

constexpr int64_t kRowBlock = 64;

// The batch of an operand with batch dims `in` that output batch `batch` (of `out`) reads under
// numpy broadcasting.
int64_t source_batch(std::span<const int64_t> in, std::span<const int64_t> out, int64_t batch) {
  const size_t off = out.size() - in.size();
  int64_t src = 0;
  int64_t stride = 1;
  for (size_t a = out.size(); a-- > off;) {
    const int64_t i = batch % out[a];
    batch /= out[a];
    const int64_t d = in[a - off];
    if (d != 1) src += i * stride;
    stride *= d;
  }
  return src;
}

// C[m, n] = A[m, k] * B[k, n] (+ bias[n]) for every broadcast batch, rows split across threads.
void batched_gemm(const Tensor& a, const Tensor& b, const float* bias, Tensor& out,
                  std::span<const int64_t> a_batch, std::span<const int64_t> b_batch,
                  std::span<const int64_t> out_batch, int64_t m, int64_t k, int64_t n,
                  int threads) {
  int64_t batches = 1;
  for (const int64_t d : out_batch) batches *= d;
  const int64_t row_blocks = (m + kRowBlock - 1) / kRowBlock;
  const int64_t chunks = batches * row_blocks;
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* pc = out.data<float>();
  const auto chunk = [&](int64_t c) {
    const int64_t batch = c / row_blocks;
    const int64_t r0 = (c % row_blocks) * kRowBlock;
    const int64_t rows = std::min(kRowBlock, m - r0);
    const ConstMap am(pa + source_batch(a_batch, out_batch, batch) * m * k + r0 * k, rows, k);
    const ConstMap bm(pb + source_batch(b_batch, out_batch, batch) * k * n, k, n);
    MutMap cm(pc + batch * m * n + r0 * n, rows, n);
    if (k == 0) {
      cm.setZero();
    } else {
      cm.noalias() = am * bm;
    }
    if (bias != nullptr) {
      cm.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias, n);
    }
  };
  const OmpThreadScope scope(threads);
  if (threads > 1 && chunks > 1) {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t c = 0; c < chunks; ++c) chunk(c);
  } else {
    // Not even a serial parallel region: libgomp allocates a team for each one it enters.
    for (int64_t c = 0; c < chunks; ++c) chunk(c);
  }
}

// numpy matmul shape rules, including 1-D promotion of either operand. Shapes are worked out in
// SmallDims, so a steady-state run allocates nothing here.
void matmul_float(KernelContext& ctx, const float* bias, int threads) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.rank() == 0 || b.rank() == 0) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("MatMul node '{}': operands must have rank >= 1", ctx.node().name));
  }
  const bool a_vec = a.rank() == 1;
  const bool b_vec = b.rank() == 1;
  ref::SmallDims as, bs;  // the operands' shapes with 1-D promotion
  if (a_vec) as.push_back(1);
  for (const int64_t d : a.shape()) as.push_back(d);
  bs.assign(b.shape());
  if (b_vec) bs.push_back(1);
  const int64_t m = as[as.size() - 2];
  const int64_t k = as[as.size() - 1];
  const int64_t n = bs[bs.size() - 1];
  if (bs[bs.size() - 2] != k) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("MatMul node '{}': inner dims differ ({} vs {})", ctx.node().name, k,
                            bs[bs.size() - 2]));
  }
  const std::span<const int64_t> a_batch = as.span().first(as.size() - 2);
  const std::span<const int64_t> b_batch = bs.span().first(bs.size() - 2);
  ref::SmallDims out_shape;
  ref::broadcast_dims({a_batch, b_batch}, ctx.node(), out_shape);
  const size_t batch_rank = out_shape.size();
  if (!a_vec) out_shape.push_back(m);
  if (!b_vec) out_shape.push_back(n);
  Tensor& out = ctx.output_uninit(0, DType::kFloat32, out_shape.span());
  if (out.numel() == 0) return;
  batched_gemm(a, b, bias, out, a_batch, b_batch, out_shape.span().first(batch_rank), m, k, n,
               threads);
}

}  // namespace

bool all_float32(const KernelContext& ctx) {
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    const Value& v = ctx.input_value(i);
    if (!v.is_tensor() || v.tensor.dtype() != DType::kFloat32) return false;
  }
  return true;
}

KernelFn make_matmul(int threads, KernelFn fallback) {
  return [threads, fallback](KernelContext& ctx) {
    if (!all_float32(ctx)) return fallback(ctx);
    matmul_float(ctx, nullptr, threads);
  };
}

KernelFn make_gemm(int threads, KernelFn fallback) {
  return [threads, fallback](KernelContext& ctx) {
    const Node& node = ctx.node();
    // Specialise the common inference form: Y = A * B^T? + c[n], alpha = beta = 1.
    if (!all_float32(ctx) || node.attr_int("transA", 0) != 0 ||
        node.attr_float("alpha", 1.0f) != 1.0f || node.attr_float("beta", 1.0f) != 1.0f) {
      return fallback(ctx);
    }
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    const bool trans_b = node.attr_int("transB", 0) != 0;
    if (a.rank() != 2 || b.rank() != 2) return fallback(ctx);
    const bool has_c = ctx.has_input(2);
    if (has_c &&
        !(ctx.input(2).rank() == 1 || (ctx.input(2).rank() == 2 && ctx.input(2).dim(0) == 1))) {
      return fallback(ctx);
    }
    const int64_t m = a.dim(0);
    const int64_t k = a.dim(1);
    const int64_t n = trans_b ? b.dim(0) : b.dim(1);
    if ((trans_b ? b.dim(1) : b.dim(0)) != k) return fallback(ctx);
    if (has_c && ctx.input(2).numel() != n) return fallback(ctx);
    Tensor& out = ctx.allocate_output(0, DType::kFloat32, {m, n});
    if (out.numel() == 0) return;
    const ConstMap am(a.data<float>(), m, k);
    const float* bias = has_c ? ctx.input(2).data<float>() : nullptr;
    const int64_t row_blocks = (m + kRowBlock - 1) / kRowBlock;
    const OmpThreadScope scope(threads);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && row_blocks > 1)
    for (int64_t blk = 0; blk < row_blocks; ++blk) {
      const int64_t r0 = blk * kRowBlock;
      const int64_t rows = std::min(kRowBlock, m - r0);
      MutMap cm(out.data<float>() + r0 * n, rows, n);
      if (k == 0) {
        cm.setZero();
      } else if (trans_b) {
        cm.noalias() = am.middleRows(r0, rows) * ConstMap(b.data<float>(), n, k).transpose();
      } else {
        cm.noalias() = am.middleRows(r0, rows) * ConstMap(b.data<float>(), k, n);
      }
      if (bias != nullptr) cm.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(bias, n);
    }
  };
}

}  // namespace bog::runtime::cpu
