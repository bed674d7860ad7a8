// MatMul and Gemm through cuBLAS. Row-major C = A B is computed as column-major C^T = B^T A^T,
// which is the same memory, so no transposes are materialized. TF32 is used only when the
// context allows it (--allow-tf32); by default the GEMMs are plain fp32.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "common/error.h"
#include "onnx_runtime/providers/cuda/cuda_ops.h"

namespace bog::runtime::cuda {
namespace {

void check_cublas(cublasStatus_t s, const Node& node) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  throw Error(ErrorCategory::kInternal,
              fmt::format("cuda: {} node '{}': cuBLAS failed with status {}", node.op_type,
                          node.name, static_cast<int>(s)));
}

int to_int(int64_t v, const Node& node) {
  if (v > INT_MAX) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("cuda: {} node '{}': dimension {} exceeds cuBLAS's int range",
                            node.op_type, node.name, v));
  }
  return static_cast<int>(v);
}

cublasHandle_t handle(const OpEnv& env) { return static_cast<cublasHandle_t>(env.ctx->cublas()); }

// C[M,N] = A[M,K] B[K,N], row-major, for `batch` matrices at the given element strides.
void gemm_batched(const OpEnv& env, const Node& node, const float* a, const float* b, float* c,
                  int64_t m, int64_t n, int64_t k, int64_t stride_a, int64_t stride_b,
                  int64_t batch) {
  const float one = 1.0f;
  const float zero = 0.0f;
  check_cublas(cublasSgemmStridedBatched(handle(env), CUBLAS_OP_N, CUBLAS_OP_N, to_int(n, node),
                                         to_int(m, node), to_int(k, node), &one, b,
                                         to_int(std::max<int64_t>(n, 1), node), stride_b, a,
                                         to_int(std::max<int64_t>(k, 1), node), stride_a, &zero,
                                         c, to_int(std::max<int64_t>(n, 1), node), m * n,
                                         to_int(batch, node)),
               node);
}

void compute_matmul(KernelContext& ctx, const OpEnv& env) {
  const Node& node = ctx.node();
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  require_float(a, node, 0);
  require_float(b, node, 1);
  if (a.rank() == 0 || b.rank() == 0) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("MatMul node '{}': inputs must have rank >= 1", node.name));
  }
  // numpy promotion: a 1-D A is a row, a 1-D B a column; the added dim is dropped again.
  Shape sa = a.shape();
  Shape sb = b.shape();
  if (sa.size() == 1) sa.insert(sa.begin(), 1);
  if (sb.size() == 1) sb.push_back(1);
  const int64_t m = sa[sa.size() - 2];
  const int64_t k = sa.back();
  const int64_t n = sb.back();
  if (sb[sb.size() - 2] != k) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("MatMul node '{}': inner dimensions differ: {} x {}", node.name,
                            shape_to_string(a.shape()), shape_to_string(b.shape())));
  }
  const Shape ba(sa.begin(), sa.end() - 2);
  const Shape bb(sb.begin(), sb.end() - 2);
  const Shape batch = broadcast_pair(ba, bb, node);
  const size_t rank = batch.size();
  Shape out = batch;
  if (a.rank() > 1) out.push_back(m);
  if (b.rank() > 1) out.push_back(n);
  Tensor& y = allocate_output(ctx, env, 0, DType::kFloat32, out);
  const int64_t nb = dims_product(batch, 0, batch.size());
  if (y.numel() == 0) return;
  if (k == 0) {
    check_cuda(cudaMemsetAsync(y.raw(), 0, y.nbytes(), static_cast<cudaStream_t>(env.ctx->stream())),
               "MatMul zero fill");
    return;
  }
  const int64_t na = dims_product(ba, 0, ba.size());
  const int64_t nbb = dims_product(bb, 0, bb.size());
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* py = y.data<float>();
  if (nbb == 1) {
    // B is one matrix (a weight): fold A's batch into M, one GEMM.
    gemm_batched(env, node, pa, pb, py, nb * m, n, k, 0, 0, 1);
  } else if (na == nb && nbb == nb && ba.size() == bb.size() && ba == bb) {
    gemm_batched(env, node, pa, pb, py, m, n, k, m * k, k * n, nb);
  } else if (na == 1) {
    gemm_batched(env, node, pa, pb, py, m, n, k, 0, k * n, nb);
  } else {
    // General broadcast of batch dims: one GEMM per output matrix.
    const std::vector<int64_t> bs = strides_of(batch);
    for (int64_t i = 0; i < nb; ++i) {
      int64_t ia = 0;
      int64_t ib = 0;
      int64_t sa_acc = 1;
      int64_t sb_acc = 1;
      for (size_t d = rank; d-- > 0;) {
        const int64_t idx = (i / bs[d]) % batch[d];
        const int64_t da = d < rank - ba.size() ? 1 : ba[d - (rank - ba.size())];
        const int64_t db = d < rank - bb.size() ? 1 : bb[d - (rank - bb.size())];
        if (da != 1) ia += idx * sa_acc;
        if (db != 1) ib += idx * sb_acc;
        sa_acc *= da;
        sb_acc *= db;
      }
      gemm_batched(env, node, pa + ia * m * k, pb + ib * k * n, py + i * m * n, m, n, k, 0, 0, 1);
    }
  }
}

// Y = alpha op(A) op(B) + beta C, C unidirectionally broadcast to [M, N].
void compute_gemm(KernelContext& ctx, const OpEnv& env) {
  const Node& node = ctx.node();
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  require_float(a, node, 0);
  require_float(b, node, 1);
  if (a.rank() != 2 || b.rank() != 2) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("Gemm node '{}': A and B must be 2-D, got {} and {}", node.name,
                            shape_to_string(a.shape()), shape_to_string(b.shape())));
  }
  const bool ta = node.attr_int("transA", 0) != 0;
  const bool tb = node.attr_int("transB", 0) != 0;
  const float alpha = node.attr_float("alpha", 1.0f);
  float beta = node.attr_float("beta", 1.0f);
  const int64_t m = ta ? a.dim(1) : a.dim(0);
  const int64_t k = ta ? a.dim(0) : a.dim(1);
  const int64_t n = tb ? b.dim(0) : b.dim(1);
  if ((tb ? b.dim(1) : b.dim(0)) != k) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("Gemm node '{}': inner dimensions differ: {} x {}", node.name,
                            shape_to_string(a.shape()), shape_to_string(b.shape())));
  }
  Tensor& y = allocate_output(ctx, env, 0, DType::kFloat32, {m, n});
  const auto stream = static_cast<cudaStream_t>(env.ctx->stream());
  if (ctx.has_input(2) && beta != 0.0f) {
    const Tensor& c = ctx.input(2);
    require_float(c, node, 2);
    if (c.rank() > 2 || (c.rank() == 2 && ((c.dim(0) != 1 && c.dim(0) != m) ||
                                           (c.dim(1) != 1 && c.dim(1) != n))) ||
        (c.rank() == 1 && c.dim(0) != 1 && c.dim(0) != n)) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("Gemm node '{}': C {} does not broadcast to [{},{}]", node.name,
                              shape_to_string(c.shape()), m, n));
    }
    StridedWalk w;  // Y <- C broadcast, then the GEMM accumulates onto it with beta
    w.rank = 2;
    w.dims[0] = m;
    w.dims[1] = n;
    const int64_t c0 = c.rank() == 2 ? c.dim(0) : 1;
    const int64_t c1 = c.rank() == 0 ? 1 : c.shape().back();
    w.src_strides[0] = c0 == 1 ? 0 : c1;
    w.src_strides[1] = c1 == 1 ? 0 : 1;
    w.dst_strides[0] = n;
    w.dst_strides[1] = 1;
    launch_strided_copy(c.raw(), y.raw(), 4, m * n, w, stream);
    check_launch("Gemm bias");
  } else {
    beta = 0.0f;
  }
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (beta == 0.0f) check_cuda(cudaMemsetAsync(y.raw(), 0, y.nbytes(), stream), "Gemm zero fill");
    return;
  }
  gemm_rowmajor(env, node, a.data<float>(), b.data<float>(), y.data<float>(), m, n, k, ta, tb,
                alpha, beta);
}

}  // namespace

void gemm_rowmajor(const OpEnv& env, const Node& node, const float* a, const float* b, float* c,
                   int64_t m, int64_t n, int64_t k, bool ta, bool tb, float alpha, float beta) {
  check_cublas(
      cublasSgemm(handle(env), tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                  to_int(n, node), to_int(m, node), to_int(k, node), &alpha, b,
                  to_int(tb ? k : n, node), a, to_int(ta ? m : k, node), &beta, c, to_int(n, node)),
      node);
}

void register_matmul_ops(KernelRegistry& r, const OpEnv* env) {
  r.add({"MatMul", "", 1, 1 << 20, [env](KernelContext& k) { compute_matmul(k, *env); }});
  r.add({"Gemm", "", 7, 1 << 20, [env](KernelContext& k) { compute_gemm(k, *env); }});
}

}  // namespace bog::runtime::cuda
