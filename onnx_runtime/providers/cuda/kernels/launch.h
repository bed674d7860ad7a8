// Host-callable launchers of the cuda provider's own kernels (defined in the .cu files beside
// this header). Plain C++ types only, so the host code that validates shapes and allocates
// outputs compiles with the host compiler. `stream` is a cudaStream_t. Launchers do not
// synchronize; launch errors are checked by the caller (check_launch).
#pragma once

#include <cstdint>

namespace bog::runtime::cuda {

inline constexpr int kMaxRank = 8;

// Index arithmetic for a rank <= kMaxRank strided walk: element i of the output (row-major over
// `dims`) reads `src_offset + sum(idx[a] * src_strides[a])` and writes
// `dst_offset + sum(idx[a] * dst_strides[a])`. Strides may be 0 (broadcast) or negative.
struct StridedWalk {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t src_strides[kMaxRank] = {};
  int64_t dst_strides[kMaxRank] = {};
  int64_t src_offset = 0;
  int64_t dst_offset = 0;
};

enum class UnaryOp { kNeg, kAbs, kSqrt, kReciprocal, kExp, kLog, kTanh, kSigmoid, kRelu, kErf,
                     kGelu, kGeluTanh, kSilu, kIdentity };
enum class BinaryOp { kAdd, kSub, kMul, kDiv, kPow };

void launch_unary(UnaryOp op, const float* x, float* y, int64_t n, void* stream);
// y[i] = a[walk_a(i)] op b[walk_b(i)]; a's offsets come from walk.src_strides and b's from
// walk.dst_strides (both read-only here), y is contiguous.
void launch_binary(BinaryOp op, const float* a, const float* b, float* y, int64_t n,
                   const StridedWalk& walk, void* stream);
// FusedMatMul's epilogue on the GEMM result y [rows, cols] in place:
//   y = act(y + bias[col]) * multiplier[i] + residual[walk(i)]
// bias, multiplier and residual may be null; residual_walk.src_strides give the residual's
// (broadcast) offsets over y's shape.
void launch_epilogue(float* y, int64_t rows, int64_t cols, const float* bias, UnaryOp act,
                     const float* multiplier, const float* residual,
                     const StridedWalk& residual_walk, void* stream);
// Copies n elements of elem_size bytes (1, 2, 4 or 8) along `walk`: Transpose, Expand, Slice,
// Concat.
void launch_strided_copy(const void* src, void* dst, int elem_size, int64_t n,
                         const StridedWalk& walk, void* stream);
// data viewed as [outer, axis_dim, inner]; out [outer, num_indices, inner]. Negative indices
// count from the end; an index out of range writes 0 and sets *error_flag to 1.
void launch_gather(const void* data, const int64_t* indices, void* out, int elem_size,
                   int64_t outer, int64_t axis_dim, int64_t inner, int64_t num_indices,
                   int* error_flag, void* stream);
// int32 -> int64 indices, so Gather has one index type.
void launch_widen_indices(const int32_t* in, int64_t* out, int64_t n, void* stream);

// Row normalizations over [rows, cols]: one block per row, fp32 accumulation.
// LayerNorm: y = (x - mean) / sqrt(var + eps) * scale + bias (bias may be null); mean and
// inv_std (may be null) receive the per-row statistics.
void launch_layer_norm(const float* x, const float* scale, const float* bias, float* y,
                       float* mean, float* inv_std, int64_t rows, int64_t cols, float eps,
                       void* stream);
// RMSNorm: y = x / sqrt(mean(x^2) + eps) * scale[c * scale_stride]: scale_stride 1 is one
// scale per feature, 0 one scale for all; a null scale is 1.
void launch_rms_norm(const float* x, const float* scale, int64_t scale_stride, float* y,
                     int64_t rows, int64_t cols, float eps, void* stream);
// Softmax (or LogSoftmax) along the middle axis of [outer, axis_dim, inner].
void launch_softmax(const float* x, float* y, int64_t outer, int64_t axis_dim, int64_t inner,
                    bool log, void* stream);

// Rotary embedding (ONNX RotaryEmbedding) over x viewed as [batch, seq, heads, head] through
// strides (x and y share the layout). cos/sin rows: position_ids[b, s] when position_ids is
// non-null (caches [max_pos, rot/2]), else row b*seq+s (caches [batch, seq, rot/2]).
struct RotaryShape {
  int64_t batch = 0, seq = 0, heads = 0, head = 0, rot = 0;
  int64_t stride_b = 0, stride_s = 0, stride_h = 0;
  int64_t max_pos = 0;
  bool interleaved = false;
};
void launch_rotary(const float* x, const float* cos_cache, const float* sin_cache,
                   const int64_t* position_ids, float* y, const RotaryShape& shape,
                   int* error_flag, void* stream);

// Rope (bog.cpu, rotate-half): x viewed as [lead..., D] with rows = numel / D;
//   y[:h] = x[:h] cos[:h] - x[h:] sin[:h],  y[h:] = x[h:] cos[h:] + x[:h] sin[h:]   (h = D/2)
// Row r (index idx[] over `dims`) reads table rows sum(idx[a] * *_strides[a]) (0: broadcast).
struct RopeShape {
  int lead_rank = 0;  // rank of x - 1
  int64_t dims[kMaxRank] = {};
  int64_t cos_strides[kMaxRank] = {};
  int64_t sin_strides[kMaxRank] = {};
  int64_t rows = 0, d = 0;
};
void launch_rope_halves(const float* x, const float* cos, const float* sin, float* y,
                        const RopeShape& shape, void* stream);

// Attention (bog.cpu): out = softmax(q kᵀ scale + bias) v per (batch, head), query head h
// reading KV head h / group (v: h / v_group). Bias strides (elements) over [B, H, Tq, Tk], 0 on
// broadcast axes; bias may be null. k is [B, Hkv, Tk, D], or Kᵀ [B, Hkv, D, Tk] with
// k_transposed. out is [B, H, Tq, Dv], or [B, Tq, H, Dv] when merged.
struct AttentionShape {
  int64_t batch = 0, heads = 0, kv_heads = 0, v_heads = 0, tq = 0, tk = 0, d = 0, dv = 0;
  int64_t bias_sb = 0, bias_sh = 0, bias_sq = 0, bias_sk = 0;
  float scale = 1.0f;
  bool k_transposed = false;
  bool merged = false;
};
// Floats of one query row plus its scores that fit the 48 KiB of shared memory a block gets
// without opting in (longer rows are an unsupported error, never a failed launch).
inline constexpr int64_t kAttentionMaxSharedFloats = 12000;
void launch_attention(const float* q, const float* k, const float* v, const float* bias, float* out,
                      const AttentionShape& shape, void* stream);

}  // namespace bog::runtime::cuda
