// Attention (domain bog.cpu): the fused multi-head attention the fuse_attention pass makes of
//   Softmax(Q·Kᵀ · scale + bias) · V   (+ grouped KV heads, + the output's head merge)
// One (batch, head) at a time per thread: Kᵀ and V are packed into the GEMM's panels, the
// scores of that one head ([Tq, Tk], in L2) get scale, bias and a vectorised softmax row by row
// in place, and P·V is written straight into the output's layout. The full [B, H, Tq, Tk]
// score tensor never exists. Keys a causal (or padding) mask hides from a whole tile of queries
// are not computed (see kMaskedBias).
//
// Inputs: q [B, H, Tq, D]; k [B, Hkv, Tk, D] (or Kᵀ [B, Hkv, D, Tk] with k_transposed=1);
//         v [B, Hkv, Tk, D]; bias (optional, broadcastable to [B, H, Tq, Tk]);
//         out_shape (optional int64: the merged output is reshaped to it, ONNX Reshape rules);
//         k_expand, k_reshape, v_expand, v_reshape (optional int64: k or v is the grouped
//         [B, Hkv, T, D] tensor the graph repeated with Unsqueeze(2) -> Expand -> Reshape;
//         the shapes are checked to repeat each KV head H/Hkv times, nothing is copied).
// Attributes: scale (float), k_transposed (int), merged (int: output [B, Tq, H*D] instead of
//         [B, H, Tq, D]), k_in_cache / v_in_cache (int: k or v is a decoder's KV cache appended
//         in place, its heads `capacity` rows apart; see fuse_kv_append.cpp). H must be a
//         multiple of Hkv: query head h reads KV head h / (H/Hkv).
// A few query rows (a decode step) take a direct path: scores are K·q on the cache rows where
// they lie and the output is Vᵀ·p, with no packing of K or V.
#include <fmt/format.h>

#include <Eigen/Core>
#include <algorithm>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/gemm/packed_gemm.h"
#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"

namespace bog::runtime::cpu {
namespace {

[[noreturn]] void fail(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("Attention node '{}': {}", node.name, what));
}

// Per-thread scratch (packed Kᵀ, packed V, one head's scores), grown on demand and kept, so
// steady-state runs allocate nothing.
class Scratch {
 public:
  float* get(size_t floats) {
    if (floats > size_) {
      void* p = std::aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
      if (p == nullptr) throw Error(ErrorCategory::kIo, "out of memory for attention scratch");
      data_.reset(static_cast<float*>(p));
      size_ = floats;
    }
    return data_.get();
  }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  size_t size_ = 0;
};

thread_local Scratch t_scratch;

size_t round64(size_t floats) { return (floats + 15) / 16 * 16; }

constexpr int64_t kQueryTile = 16;

// An additive bias at or below this hides a key: with any visible key in the row, the graph's
// softmax gives it exp(score + bias - max) == 0 in float32 for every |score| < 1e7 (the masks
// exporters write are -1e9, -10000·big, finfo.min or -inf), so skipping it changes nothing.
constexpr float kMaskedBias = -1e8f;

// exp(x - mx) over n floats in place, returning their sum. exp runs on whole 16-float blocks
// (Eigen's packet exp) with the tail padded, so no element takes the scalar path: libm's expf of
// a masked score (-1e9) underflows into its slow error-reporting path.
float exp_shifted_in_place(float* x, int64_t n, float mx) {
  using Block = Eigen::Array<float, 16, 1>;
  Block sum = Block::Zero();
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    Eigen::Map<Block> b(x + j);
    b = (b - mx).exp();
    sum += b;
  }
  float total = sum.sum();
  if (j < n) {
    alignas(64) float tail[16];
    std::fill(tail, tail + 16, mx);
    std::copy(x + j, x + n, tail);
    Eigen::Map<Block, Eigen::Aligned64> b(tail);
    b = (b - mx).exp();
    for (int64_t i = 0; i < n - j; ++i) {
      x[j + i] = tail[i];
      total += tail[i];
    }
  }
  return total;
}

#if defined(__AVX512F__)
// Horizontal reduction of 16 lanes by halving (a loop over the lanes was a chain of 15 dependent
// ops per row; GCC 12's _mm512_reduce_* trip its own -Wuninitialized). Op256/Op128: the same
// operation on 8 and 4 floats, Op1 on the low float.
template <class Op256, class Op128, class Op1>
float reduce_lanes(__m512 v, Op256 op256, Op128 op128, Op1 op1) {
  const __m256 h = op256(_mm512_castps512_ps256(v),
                         _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  __m128 q = op128(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  q = op128(q, _mm_movehl_ps(q, q));
  return _mm_cvtss_f32(op1(q, _mm_movehdup_ps(q)));
}
float lanes_max(__m512 v) {
  return reduce_lanes(
      v, [](__m256 a, __m256 b) { return _mm256_max_ps(a, b); },
      [](__m128 a, __m128 b) { return _mm_max_ps(a, b); },
      [](__m128 a, __m128 b) { return _mm_max_ss(a, b); });
}
float lanes_sum(__m512 v) {
  return reduce_lanes(
      v, [](__m256 a, __m256 b) { return _mm256_add_ps(a, b); },
      [](__m128 a, __m128 b) { return _mm_add_ps(a, b); },
      [](__m128 a, __m128 b) { return _mm_add_ss(a, b); });
}

// One score row's softmax numerator in place: row[j] = exp(row[j] * scale + bias[j] - max) for
// j < own, 0 for own <= j < visible; returns 1 / the sum. Two passes over 16-key blocks (scale,
// bias and the max in one; exp, sum and the hidden tail's zeros in the other), the last block
// masked, where the portable path takes five and a scalar tail.
float softmax_row_avx512(float* row, const float* bias, float scale, int64_t own, int64_t visible) {
  using Eigen::internal::Packet16f;
  const __m512 vscale = _mm512_set1_ps(scale);
  __m512 vmax = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  for (int64_t j = 0; j < own; j += 16) {
    const __mmask16 m = first_lanes16(own - j);
    __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + j), vscale);
    if (bias != nullptr) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias + j));
    _mm512_mask_storeu_ps(row + j, m, v);
    vmax = _mm512_mask_max_ps(vmax, m, vmax, v);
  }
  const __m512 mx = _mm512_set1_ps(lanes_max(vmax));
  __m512 vsum = _mm512_setzero_ps();
  for (int64_t j = 0; j < own; j += 16) {
    const __mmask16 m = first_lanes16(own - j);
    const __m512 e = _mm512_maskz_mov_ps(m, Eigen::internal::pexp<Packet16f>(_mm512_sub_ps(
                                                _mm512_mask_loadu_ps(mx, m, row + j), mx)));
    vsum = _mm512_add_ps(vsum, e);
    _mm512_mask_storeu_ps(row + j, first_lanes16(visible - j), e);  // hidden lanes get 0
  }
  for (int64_t j = (own + 15) / 16 * 16; j < visible; ++j) row[j] = 0.0f;
  return 1.0f / lanes_sum(vsum);
}
#endif

// 1 + the last key this bias row leaves visible; every key when the row hides all of them
// (the graph then spreads the row uniformly, which only the full computation reproduces).
// Whole 16-key blocks are tested at once: a causal row hides half its keys on average.
int64_t visible_keys(const float* bias_row, int64_t tk) {
  // One compare for 16 keys where the build has AVX-512 (neither GCC nor Eigen's .all()
  // vectorise the scalar form).
  const auto hidden16 = [](const float* b) {
#if defined(__AVX512F__)
    return _mm512_cmp_ps_mask(_mm512_loadu_ps(b), _mm512_set1_ps(kMaskedBias), _CMP_LE_OQ) ==
           0xFFFF;
#else
    for (int k = 0; k < 16; ++k) {
      if (!(b[k] <= kMaskedBias)) return false;
    }
    return true;
#endif
  };
  int64_t j = tk;
  while (j >= 16 && hidden16(bias_row + j - 16)) j -= 16;
  while (j > 0 && bias_row[j - 1] <= kMaskedBias) --j;
  return j == 0 ? tk : j;
}

// Strides (in elements) of a bias broadcast to [B, H, Tq, Tk]; 0 along broadcast axes.
struct BiasView {
  const float* data = nullptr;
  int64_t sb = 0, sh = 0, sq = 0, sk = 0;
};

BiasView bias_view(const Node& node, const Tensor& bias, int64_t b, int64_t h, int64_t tq,
                   int64_t tk) {
  if (bias.dtype() != DType::kFloat32 || bias.rank() > 4)
    fail(node, "bias must be float32, rank <= 4");
  const int64_t want[4] = {b, h, tq, tk};
  int64_t dims[4] = {1, 1, 1, 1};
  const int64_t r = bias.rank();
  for (int64_t i = 0; i < r; ++i) dims[4 - r + i] = bias.dim(i);
  int64_t strides[4];
  int64_t acc = 1;
  for (int i = 3; i >= 0; --i) {
    if (dims[i] != 1 && dims[i] != want[i]) {
      fail(node, fmt::format("bias {} does not broadcast to [{},{},{},{}]",
                             shape_to_string(bias.shape()), b, h, tq, tk));
    }
    strides[i] = dims[i] == 1 ? 0 : acc;
    acc *= dims[i];
  }
  return {bias.data<float>(), strides[0], strides[1], strides[2], strides[3]};
}

// ONNX Reshape of `from` by `spec` (0 copies a dim, -1 is inferred) into `out`; false if invalid.
bool reshape_target(std::span<const int64_t> from, const Tensor& spec, int64_t* out, size_t* rank) {
  if (spec.dtype() != DType::kInt64 || spec.rank() != 1 || spec.numel() > 8) return false;
  int64_t total = 1;
  for (const int64_t d : from) total *= d;
  const int64_t* s = spec.data<int64_t>();
  int64_t known = 1;
  int infer = -1;
  for (int64_t i = 0; i < spec.numel(); ++i) {
    int64_t d = s[i];
    if (d == 0) {
      if (i >= static_cast<int64_t>(from.size())) return false;
      d = from[static_cast<size_t>(i)];
    }
    if (d == -1) {
      if (infer >= 0) return false;
      infer = static_cast<int>(i);
      out[i] = 1;
      continue;
    }
    if (d < 0) return false;
    out[i] = d;
    known *= d;
  }
  if (infer >= 0) {
    if (known == 0 || total % known != 0) return false;
    out[infer] = total / known;
  } else if (known != total) {
    return false;
  }
  *rank = static_cast<size_t>(spec.numel());
  return true;
}

// Checks that Reshape(Expand(Unsqueeze(x, 2), e), r) is x with each head repeated `group`
// times, i.e. [B, Hkv, T, D] -> [B, Hkv * group, T, D].
void check_kv_expand(const Node& node, const Tensor& x, const Tensor& e, const Tensor& r,
                     int64_t group) {
  const int64_t u[5] = {x.dim(0), x.dim(1), 1, x.dim(2), x.dim(3)};
  const int64_t want[5] = {x.dim(0), x.dim(1), group, x.dim(2), x.dim(3)};
  bool ok = e.dtype() == DType::kInt64 && e.rank() == 1 && e.numel() == 5;
  int64_t expanded[5];
  for (int i = 0; ok && i < 5; ++i) {
    const int64_t d = e.data<int64_t>()[i];
    expanded[i] = d == 1 ? u[i] : d;
    ok = (u[i] == 1 || d == 1 || d == u[i]) && expanded[i] == want[i];
  }
  int64_t shape[8];
  size_t rank = 0;
  ok = ok && reshape_target(std::span<const int64_t>(expanded, 5), r, shape, &rank) && rank == 4 &&
       shape[0] == x.dim(0) && shape[1] == x.dim(1) * group && shape[2] == x.dim(2) &&
       shape[3] == x.dim(3);
  if (!ok) fail(node, "the grouped-KV expand does not repeat each head in place");
}

// One decode step's query rows of one (batch, head): scores = K·q on the rows where they lie,
// softmax, out = Vᵀ·p / sum. K is [tk, d] and V [tk, dv], each contiguous.
void attend_rows_direct(const float* qh, int64_t rows, int64_t d, const float* kh, int64_t tk,
                        const float* vh, int64_t dv, const float* bias_bh, int64_t bias_sq,
                        int64_t bias_sk, float scale, float* oh, int64_t ldo) {
  using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMat> k(kh, tk, d);
  const Eigen::Map<const RowMat> v(vh, tk, dv);
  float* scores = t_scratch.get(round64(static_cast<size_t>(tk)));
  Eigen::Map<Eigen::VectorXf> s(scores, tk);
  for (int64_t i = 0; i < rows; ++i) {
    s.noalias() = k * Eigen::Map<const Eigen::VectorXf>(qh + i * d, d);
    Eigen::Map<Eigen::ArrayXf> a(scores, tk);
    if (bias_bh != nullptr) {
      const float* br = bias_bh + i * bias_sq;
      if (bias_sk == 1) {
        a = a * scale + Eigen::Map<const Eigen::ArrayXf>(br, tk);
      } else {
        a = a * scale + br[0];
      }
    } else if (scale != 1.0f) {
      a *= scale;
    }
    const float inv = tk > 0 ? 1.0f / exp_shifted_in_place(scores, tk, a.maxCoeff()) : 0.0f;
    Eigen::Map<Eigen::VectorXf> o(oh + i * ldo, dv);
    o.noalias() = v.transpose() * s;
    o *= inv;
  }
}

// dims of a 4-D tensor, or of a 3-D [N, T, D] one as [1, N, T, D].
void view4(const Tensor& t, int64_t* dims) {
  const int64_t r = t.rank();
  for (int64_t i = 0; i < 4; ++i) dims[i] = i < 4 - r ? 1 : t.dim(i - (4 - r));
}

constexpr int64_t kDirectRows = 4;  // query rows at most for the direct path

}  // namespace

KernelFn make_attention_fused(const Node& node, std::shared_ptr<ThreadPool> pool,
                              std::shared_ptr<KvCacheState> kv_state) {
  const float scale = node.attr_float("scale", 1.0f);
  const bool k_transposed = node.attr_int("k_transposed", 0) != 0;
  const bool merged = node.attr_int("merged", 0) != 0;
  const bool k_in_cache = node.attr_int("k_in_cache", 0) != 0;
  const bool v_in_cache = node.attr_int("v_in_cache", 0) != 0;
  if ((k_in_cache || v_in_cache) && !kv_state) fail(node, "a KV cache input without a cache");
  // Each row's visible keys, kept by the kernel between runs: a session runs one step at a time,
  // and a batch lane is a session of its own. (Kept per thread, a pool worker that had not yet
  // run a lane of this shape grew it in a steady-state run.)
  auto visible_rows = std::make_shared<std::vector<int32_t>>();
  return [pool, scale, k_transposed, merged, k_in_cache, v_in_cache, kv_state,
          visible_rows](KernelContext& ctx) {
    const Node& n = ctx.node();
    const Tensor& q = ctx.input(0);
    const Tensor& k = ctx.input(1);
    const Tensor& v = ctx.input(2);
    const int64_t rank = q.rank();
    for (const Tensor* t : {&q, &k, &v}) {
      if (t->dtype() != DType::kFloat32 || (rank != 3 && rank != 4) || t->rank() != rank)
        fail(n, "q, k, v must be float32, all 4-D [B, H, T, D] or all 3-D [B*H, T, D]");
    }
    // The 3-D form (nn.MultiheadAttention's [batch*heads, T, D]) is one batch of N heads.
    int64_t qd[4], kd[4], vd[4];
    view4(q, qd);
    view4(k, kd);
    view4(v, vd);
    const int64_t batch = qd[0], heads = qd[1], tq = qd[2], d = qd[3];
    const int64_t kv_heads = kd[1];
    const int64_t v_heads = vd[1];
    const int64_t tk = k_transposed ? kd[3] : kd[2];
    const int64_t k_d = k_transposed ? kd[2] : kd[3];
    const int64_t dv = vd[3];
    if (rank == 3 && (ctx.has_input(5) || ctx.has_input(7) || k_in_cache || v_in_cache))
      fail(n, "grouped-KV expands and KV caches take 4-D q, k, v");
    if (kd[0] != batch || vd[0] != batch || k_d != d || vd[2] != tk || kv_heads <= 0 ||
        v_heads <= 0 || heads % kv_heads != 0 || heads % v_heads != 0) {
      fail(n, fmt::format("shapes q {} k {} v {} do not form attention", shape_to_string(q.shape()),
                          shape_to_string(k.shape()), shape_to_string(v.shape())));
    }
    const int64_t group = heads / kv_heads;
    const int64_t v_group = heads / v_heads;
    if (ctx.has_input(5) && ctx.has_input(6))
      check_kv_expand(n, k, ctx.input(5), ctx.input(6), group);
    if (ctx.has_input(7) && ctx.has_input(8))
      check_kv_expand(n, v, ctx.input(7), ctx.input(8), v_group);
    BiasView bias;
    if (ctx.has_input(3)) {
      // A bias of higher rank than the scores would broadcast them to its rank.
      if (ctx.input(3).rank() > rank) fail(n, "bias has a higher rank than q, k, v");
      bias = bias_view(n, ctx.input(3), batch, heads, tq, tk);
    }

    int64_t shape[8];
    size_t rank_out = 4;
    if (merged) {
      const int64_t natural[4] = {batch, tq, heads, dv};
      if (ctx.has_input(4)) {
        if (!reshape_target(natural, ctx.input(4), shape, &rank_out)) {
          fail(n, "output shape does not match the attention output");
        }
      } else {
        // 4-D: [B, Tq, H*Dv]; 3-D: [Tq, N*Dv].
        rank_out = rank == 3 ? 2 : 3;
        const int64_t merged_shape[3] = {batch, tq, heads * dv};
        std::copy(merged_shape + 4 - rank, merged_shape + 3, shape);
      }
    } else if (rank == 3) {
      shape[0] = heads;
      shape[1] = tq;
      shape[2] = dv;
      rank_out = 3;
    } else {
      shape[0] = batch;
      shape[1] = heads;
      shape[2] = tq;
      shape[3] = dv;
    }
    Tensor& out = ctx.output_uninit(0, DType::kFloat32, std::span<const int64_t>(shape, rank_out));
    if (out.numel() == 0) return;
    // Rows per head of k and v as they lie: a cache's heads are `capacity` rows apart.
    const int64_t cap = kv_state ? kv_state->capacity.load(std::memory_order_relaxed) : 0;
    if ((k_in_cache || v_in_cache) && cap < tk)
      fail(n, fmt::format("{} keys do not fit the KV cache's {} rows", tk, cap));
    const int64_t k_rows = k_in_cache ? cap : tk;
    const int64_t v_rows = v_in_cache ? cap : tk;
    if (tq <= kDirectRows && !k_transposed) {
      auto direct = [&](int64_t t) {
        const int64_t b = t / heads, h = t % heads;
        const float* bias_bh =
            bias.data != nullptr ? bias.data + b * bias.sb + h * bias.sh : nullptr;
        float* oh = merged ? out.data<float>() + (b * tq * heads + h) * dv
                           : out.data<float>() + (b * heads + h) * tq * dv;
        attend_rows_direct(q.data<float>() + (b * heads + h) * tq * d, tq, d,
                           k.data<float>() + (b * kv_heads + h / group) * k_rows * d, tk,
                           v.data<float>() + (b * v_heads + h / v_group) * v_rows * dv, dv, bias_bh,
                           bias.sq, bias.sk, scale, oh, merged ? heads * dv : dv);
      };
      if (pool && pool->threads() > 1 && batch * heads > 1 && tk * d * batch * heads > (1 << 16)) {
        pool->parallel_for(batch * heads, direct);
      } else {
        for (int64_t t = 0; t < batch * heads; ++t) direct(t);
      }
      return;
    }
    const GemmIsa isa = best_gemm_isa();
    const float* pq = q.data<float>();
    const float* pk = k.data<float>();
    const float* pv = v.data<float>();
    float* po = out.data<float>();
    const size_t kt_size = round64(static_cast<size_t>(packed_size(isa, d, tk)));
    const size_t v_size = round64(static_cast<size_t>(packed_size(isa, tk, dv)));
    const size_t s_size = round64(static_cast<size_t>(tq * tk));
    // Each row's visible keys, found once per bias row: a bias shared by the heads ([B, 1, Tq,
    // Tk], what exporters build from a padding mask) is scanned once, not once per head.
    const bool per_key_bias = bias.data != nullptr && bias.sk == 1;
    const int64_t bias_heads = bias.sh == 0 ? 1 : heads;
    std::vector<int32_t>& visible_by_row = *visible_rows;
    if (per_key_bias) {
      visible_by_row.resize(static_cast<size_t>(batch * bias_heads * tq));
      const auto scan = [&](int64_t bh) {
        const int64_t b = bh / bias_heads, h = bh % bias_heads;
        const float* rows = bias.data + b * bias.sb + h * bias.sh;
        for (int64_t i = 0; i < tq; ++i) {
          visible_by_row[static_cast<size_t>(bh * tq + i)] =
              static_cast<int32_t>(visible_keys(rows + i * bias.sq, tk));
        }
      };
      if (pool && pool->threads() > 1 && batch * bias_heads > 1) {
        pool->parallel_for(batch * bias_heads, scan);
      } else {
        for (int64_t bh = 0; bh < batch * bias_heads; ++bh) scan(bh);
      }
    }
    auto task = [&](int64_t t) {
      const int64_t b = t / heads;
      const int64_t h = t % heads;
      const int64_t kvh = h / group;
      const int64_t vh = h / v_group;
      float* kt_packed = t_scratch.get(kt_size + v_size + s_size);
      float* v_packed = kt_packed + kt_size;
      float* scores = v_packed + v_size;
      const float* kh = pk + (b * kv_heads + kvh) * k_rows * d;
      if (k_transposed) {
        pack_b(isa, kh, d, tk, tk, false, kt_packed);  // already [D, Tk]
      } else {
        pack_b(isa, kh, d, tk, d, true, kt_packed);  // Kᵀ from [Tk, D]
      }
      pack_b(isa, pv + (b * v_heads + vh) * v_rows * dv, tk, dv, dv, false, v_packed);
      const float* qh = pq + (b * heads + h) * tq * d;
      float* oh = merged ? po + (b * tq * heads + h) * dv : po + (b * heads + h) * tq * dv;
      const int64_t ldo = merged ? heads * dv : dv;
      const float* bias_bh = bias.data != nullptr ? bias.data + b * bias.sb + h * bias.sh : nullptr;
      for (int64_t r0 = 0; r0 < tq; r0 += kQueryTile) {
        const int64_t rows = std::min(kQueryTile, tq - r0);
        // Keys past the last one any row of this tile can see are skipped (causal masks); within
        // the tile, a row's own hidden tail gets its exact softmax value, 0, without an exp.
        int64_t own[kQueryTile];
        int64_t visible = 0;
        const int32_t* row_visible =
            per_key_bias
                ? visible_by_row.data() + (b * bias_heads + (bias_heads == 1 ? 0 : h)) * tq + r0
                : nullptr;
        for (int64_t i = 0; i < rows; ++i) {
          own[i] = row_visible != nullptr ? row_visible[i] : tk;
          visible = std::max(visible, own[i]);
        }
        float* s_tile = scores + r0 * tk;
        gemm_packed(isa, rows, visible, d, qh + r0 * d, d, kt_packed, s_tile, tk, Epilogue{},
                    nullptr);
        float inv_sum[kQueryTile];
        for (int64_t i = 0; i < rows; ++i) {
#if defined(__AVX512F__)
          if (bias_bh == nullptr || bias.sk == 1) {
            inv_sum[i] = softmax_row_avx512(
                s_tile + i * tk, bias_bh != nullptr ? bias_bh + (r0 + i) * bias.sq : nullptr, scale,
                own[i], visible);
            continue;
          }
#endif
          Eigen::Map<Eigen::ArrayXf> row(s_tile + i * tk, own[i]);
          if (bias_bh != nullptr) {
            const float* br = bias_bh + (r0 + i) * bias.sq;
            if (bias.sk == 1) {
              row = row * scale + Eigen::Map<const Eigen::ArrayXf>(br, own[i]);
            } else {
              row = row * scale + br[0];
            }
          } else if (scale != 1.0f) {
            row *= scale;
          }
          inv_sum[i] = 1.0f / exp_shifted_in_place(row.data(), own[i], row.maxCoeff());
          std::fill(s_tile + i * tk + own[i], s_tile + i * tk + visible, 0.0f);
        }
        float* o_tile = oh + r0 * ldo;
        gemm_packed(isa, rows, dv, visible, s_tile, tk, v_packed, o_tile, ldo, Epilogue{}, nullptr,
                    tk);
        // The softmax's division, on the dv outputs of a row instead of its keys.
        for (int64_t i = 0; i < rows; ++i) {
          Eigen::Map<Eigen::ArrayXf>(o_tile + i * ldo, dv) *= inv_sum[i];
        }
      }
    };
    const int64_t tasks = batch * heads;
    if (pool && pool->threads() > 1 && tasks > 1) {
      pool->parallel_for(tasks, task);
    } else {
      for (int64_t t = 0; t < tasks; ++t) task(t);
    }
  };
}

}  // namespace bog::runtime::cpu
