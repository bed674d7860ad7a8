// DynamicQuantizeMatMul: DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul in one kernel,
// with FusedMatMul's epilogue (bias, activation, SwiGLU multiplier, residual) when the
// fuse_matmul pass gave it one. The activation is quantized row block by row block straight
// into the GEMM's A buffer (K padded to 4 with zeros), so the uint8 tensor never exists whole
// (unless several MatMuls share one DynamicQuantizeLinear: then X comes quantized);
// the int32 tile is requantized to float and the epilogue applied while the block is hot.
// Rounding follows the reference DynamicQuantizeLinear exactly (x / scale, round half to even,
// + zero point, clamp), and the epilogue does the float ops it replaces in the same order, so
// the output is bit-identical to the composition (SiLU/GELU: the fused activation kernels').
// Row blocks run on the session's thread pool, like every other cpu kernel: an OpenMP team
// spinning beside the pool's workers would take the cores they need.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/gemm/packed_gemm.h"
#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"
#include "onnx_runtime/providers/cpu/quant/dynamic_quantize_rows.h"
#include "onnx_runtime/providers/cpu/quant/quant_kernels.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"

namespace bog::runtime::cpu {
namespace {

constexpr int64_t kRowBlock = 64;

[[noreturn]] void bad(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("{} node '{}': {}", node.op_type, node.name, what));
}

// A per-tensor or per-column quantization parameter as N values.
template <typename T>
std::vector<T> per_column(const Node& node, const Tensor& t, int64_t n, const char* what) {
  if (t.numel() != 1 && !(t.rank() == 1 && t.dim(0) == n)) {
    bad(node, fmt::format("{} must be a scalar or [{}]", what, n));
  }
  std::vector<T> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = t.data<T>()[t.numel() == 1 ? 0 : i];
  return v;
}

// What the constant weight side gives every run: the packed W and its per-column parameters,
// made at the first run and kept while W, W_scale and W_zero_point stay the same tensors.
struct WeightSide {
  const void* w = nullptr;
  const void* w_scale = nullptr;
  const void* w_zp = nullptr;
  PackedB8 packed;
  std::vector<float> scale;  // W_scale per column
  std::vector<int8_t> zp;    // W_zero_point per column
  bool any_zp = false;
};

// Input places of a weight: the node's own, or its gate's (a SwiGLU gate merged into the node).
struct WeightInputs {
  size_t w, scale, zero_point;
};
constexpr WeightInputs kOwnWeight{1, kDqmmWScale, kDqmmWZeroPoint};
constexpr WeightInputs kGateWeight{kDqmmGateW, kDqmmGateWScale, kDqmmGateWZeroPoint};

const WeightSide& weight_side(KernelContext& ctx, WeightSide& side, WeightInputs at) {
  const Node& node = ctx.node();
  const Tensor& w = ctx.input(at.w);
  const Tensor& ws = ctx.input(at.scale);
  const Tensor* wz = ctx.has_input(at.zero_point) ? &ctx.input(at.zero_point) : nullptr;
  if (side.w == w.raw() && side.w_scale == ws.raw() && side.w_zp == (wz ? wz->raw() : nullptr) &&
      side.packed.k == w.dim(0) && side.packed.n == w.dim(1)) {
    return side;
  }
  const int64_t n = w.dim(1);
  if (ws.dtype() != DType::kFloat32) bad(node, "W_scale must be float32");
  side.scale = per_column<float>(node, ws, n, "W_scale");
  side.zp.assign(static_cast<size_t>(n), 0);
  if (wz != nullptr) {
    if (wz->dtype() != DType::kInt8) bad(node, "W_zero_point must be int8");
    side.zp = per_column<int8_t>(node, *wz, n, "W_zero_point");
  }
  side.any_zp = std::any_of(side.zp.begin(), side.zp.end(), [](int8_t z) { return z != 0; });
  side.packed = pack_b8(w.data<int8_t>(), w.dim(0), n);
  side.w = w.raw();
  side.w_scale = ws.raw();
  side.w_zp = wz ? wz->raw() : nullptr;
  return side;
}

// Per-thread buffers, grown once and reused run after run (no allocation per run).
struct Scratch {
  std::vector<uint8_t> a;
  std::vector<int32_t> c;
  std::vector<float> gate;  // a merged gate's block of output
};
Scratch& thread_scratch() {
  thread_local Scratch s;
  return s;
}

// Per-run parameters (they depend on X's scale), kept so that a steady run allocates nothing.
struct RunParams {
  std::vector<float> scale;
  std::vector<int32_t> col_term;
};

void set_run_params(const WeightSide& side, float x_scale, int32_t x_zp, int64_t k, RunParams& p) {
  const int64_t n = side.packed.n;
  p.scale.resize(static_cast<size_t>(n));
  p.col_term.resize(static_cast<size_t>(n));
  for (int64_t c = 0; c < n; ++c) {
    const size_t cu = static_cast<size_t>(c);
    p.scale[cu] = x_scale * side.scale[cu];
    // -x_zp * sum_k W + K * x_zp * w_zp: the terms of (a - a_zp)(b - b_zp) that do not depend on
    // the row.
    p.col_term[cu] =
        -x_zp * side.packed.col_sums[cu] + static_cast<int32_t>(k) * x_zp * side.zp[cu];
  }
}

// One block of `rows` rows: y = epilogue(requantized A · W), with ep's multiplier and residual
// and y starting at the block's first row. Requantized in the VNNI tile's registers where it can
// be, else through the int32 buffer `c`.
void gemm_block(Int8Isa isa, const uint8_t* a, int64_t lda, int64_t rows, int64_t k,
                const WeightSide& side, const RunParams& p, const Epilogue& ep, float* y,
                std::vector<int32_t>& c) {
  const PackedB8& packed = side.packed;
  const int64_t n = packed.n;
  const bool post =
      ep.activation != Activation::kNone || ep.residual != nullptr || ep.multiplier != nullptr;
  if (!side.any_zp) {
    // Without an activation the whole epilogue fits in the tile; with one, it runs between the
    // bias and the multiplier, per strip.
    Int8Requant rq{p.col_term.data(), p.scale.data(), ep.bias};
    const bool in_tile = ep.activation == Activation::kNone;
    if (in_tile) {
      rq.multiplier = ep.multiplier;
      rq.ldm = ep.ldm;
      rq.residual = ep.residual;
      rq.ldr = ep.ldr;
    }
    struct Rows {
      const Epilogue* ep;
      float* y;
      int64_t n, rows;
    } rows_ctx{&ep, y, n, rows};
    StripDone strip;
    if (post && !in_tile) {
      strip.ctx = &rows_ctx;
      strip.fn = [](void* ctx, int64_t c0, int64_t c1) {
        const Rows& q = *static_cast<const Rows*>(ctx);
        apply_epilogue_after_bias(*q.ep, q.y, q.n, 0, q.rows, c0, c1 - c0);
      };
    }
    if (gemm_u8s8_requant(isa, a, lda, rows, packed, rq, y, n, strip)) return;
  }
  if (c.size() < static_cast<size_t>(rows * n)) c.resize(static_cast<size_t>(rows * n));
  gemm_u8s8(isa, a, lda, rows, packed, c.data(), n);
  for (int64_t i = 0; i < rows; ++i) {
    int32_t row_sum = 0;
    if (side.any_zp) {
      for (int64_t j = 0; j < k; ++j) row_sum += a[i * lda + j];
    }
    const int32_t* ci = c.data() + i * n;
    float* yi = y + i * n;
    if (side.any_zp) {
      for (int64_t col = 0; col < n; ++col) {
        const int32_t acc = ci[col] + p.col_term[static_cast<size_t>(col)] -
                            side.zp[static_cast<size_t>(col)] * row_sum;
        yi[col] = static_cast<float>(acc) * p.scale[static_cast<size_t>(col)];
      }
    } else {
      for (int64_t col = 0; col < n; ++col) {
        yi[col] = static_cast<float>(ci[col] + p.col_term[static_cast<size_t>(col)]) *
                  p.scale[static_cast<size_t>(col)];
      }
    }
    if (ep.bias != nullptr) {
      for (int64_t col = 0; col < n; ++col) yi[col] += ep.bias[col];
    }
  }
  if (post) apply_epilogue_after_bias(ep, y, n, 0, rows, 0, n);
}

}  // namespace

KernelFn make_dynamic_quantize_matmul(const Node& node, std::shared_ptr<ThreadPool> pool,
                                      Int8Isa isa, std::shared_ptr<const LaneLink> lane) {
  auto side_cache = std::make_shared<WeightSide>();
  auto params = std::make_shared<RunParams>();
  auto gate_cache = std::make_shared<WeightSide>();
  auto gate_params = std::make_shared<RunParams>();
  const Activation act = parse_activation(node.attr_string("activation", ""));
  const Activation gate_act = parse_activation(node.attr_string("gate_activation", ""));
  return [pool, isa, side_cache, params, gate_cache, gate_params, act, gate_act,
          lane](KernelContext& ctx) {
    const Node& node = ctx.node();
    const Tensor& x = ctx.input(0);
    const Tensor& w = ctx.input(1);
    // X already quantized by a DynamicQuantizeLinear that several MatMuls share: uint8 X with
    // its scale and zero point as inputs kDqmmXScale and kDqmmXZeroPoint.
    const bool prequantized = x.dtype() == DType::kUint8;
    if ((x.dtype() != DType::kFloat32 && !prequantized) || w.dtype() != DType::kInt8 ||
        w.rank() != 2) {
      bad(node, "want float32 (or uint8, quantized) X and a 2-D int8 W");
    }
    if (prequantized &&
        (!ctx.has_input(kDqmmXScale) || !ctx.has_input(kDqmmXZeroPoint) ||
         ctx.input(kDqmmXScale).dtype() != DType::kFloat32 || ctx.input(kDqmmXScale).numel() != 1 ||
         ctx.input(kDqmmXZeroPoint).dtype() != DType::kUint8 ||
         ctx.input(kDqmmXZeroPoint).numel() != 1)) {
      bad(node, "a uint8 X needs a float32 scalar X_scale and a uint8 scalar X_zero_point");
    }
    const int64_t k = w.dim(0);
    const int64_t n = w.dim(1);
    if (x.rank() < 1 || x.dim(x.rank() - 1) != k) {
      bad(node, fmt::format("X of shape {} does not end in K = {}", shape_to_string(x.shape()), k));
    }
    if (!ctx.has_input(kDqmmWScale)) bad(node, "W_scale missing");
    const WeightSide& side = weight_side(ctx, *side_cache, kOwnWeight);
    const PackedB8* packed = &side.packed;
    // A SwiGLU gate merged in: its GEMM (same X) runs first, block by block, and its activated
    // output is this GEMM's multiplier without ever being stored whole.
    const bool gated = ctx.has_input(kDqmmGateW);
    if (gated) {
      const Tensor& wg = ctx.input(kDqmmGateW);
      if (wg.dtype() != DType::kInt8 || wg.shape() != w.shape() ||
          !ctx.has_input(kDqmmGateWScale)) {
        bad(node, "the gate weight must be int8 of W's shape, with its W_scale");
      }
      if (ctx.has_input(kFusedMultiplier)) bad(node, "a gate and a multiplier input together");
    }
    const WeightSide* gate_side = gated ? &weight_side(ctx, *gate_cache, kGateWeight) : nullptr;
    const float* gate_bias = nullptr;
    if (gated && ctx.has_input(kDqmmGateBias)) {
      const Tensor& gb = ctx.input(kDqmmGateBias);
      if (gb.dtype() != DType::kFloat32 || gb.numel() != n)
        bad(node, "gate bias must be float32 [N]");
      gate_bias = gb.data<float>();
    }
    RunParams& p = *params;

    const int64_t m = k == 0 ? 0 : x.numel() / k;
    int64_t out_dims[8];
    if (x.rank() > 8) bad(node, "X has rank above 8");
    std::copy(x.shape().begin(), x.shape().end(), out_dims);
    out_dims[x.rank() - 1] = n;
    const std::span<const int64_t> out_shape(out_dims, static_cast<size_t>(x.rank()));
    bool residual_later = false;
    const Epilogue ep = fused_epilogue(ctx, act, out_shape, &residual_later);
    Tensor& y = ctx.output_uninit(0, DType::kFloat32, out_shape);
    if (m == 0 || n == 0) return;

    // DynamicQuantizeLinear's parameters, computed exactly as its reference kernel does (or
    // given, for a uint8 X). In a batch lane the min/max are the whole batch's.
    const bool avx512 = isa == Int8Isa::kAvx512Vnni;
    DqlParams q;
    if (prequantized) {
      q.scale = ctx.input(kDqmmXScale).data<float>()[0];
      q.zero_point = static_cast<float>(ctx.input(kDqmmXZeroPoint).data<uint8_t>()[0]);
    } else {
      q = dql_batch_params(x.data<float>(), x.numel(), avx512, pool.get(), lane.get());
    }
    const float x_scale = q.scale;
    const int32_t x_zp = static_cast<int32_t>(q.zero_point);
    set_run_params(side, x_scale, x_zp, k, p);
    if (gated) set_run_params(*gate_side, x_scale, x_zp, k, *gate_params);

    float* yv = y.data<float>();
    const int64_t blocks = (m + kRowBlock - 1) / kRowBlock;
    // A uint8 X whose rows are already K-multiple-of-4 long is the GEMM's A as it is.
    const bool a_in_place = prequantized && k % 4 == 0;
    const int64_t lda = a_in_place ? k : packed->k4;
    auto block = [&](int64_t blk) {
      Scratch& s = thread_scratch();
      if (s.a.size() < static_cast<size_t>(kRowBlock * lda)) s.a.resize(kRowBlock * lda);
      if (s.c.size() < static_cast<size_t>(kRowBlock * n)) s.c.resize(kRowBlock * n);
      const int64_t r0 = blk * kRowBlock;
      const int64_t rows = std::min(kRowBlock, m - r0);
      const uint8_t* a = s.a.data();
      if (a_in_place) {
        a = x.data<uint8_t>() + r0 * k;
      } else {
        for (int64_t i = 0; i < rows; ++i) {
          uint8_t* dst = s.a.data() + i * lda;
          if (prequantized) {
            std::memcpy(dst, x.data<uint8_t>() + (r0 + i) * k, static_cast<size_t>(k));
          } else {
            dql_quantize_row(x.data<float>() + (r0 + i) * k, k, q, dst, avx512);
          }
          std::memset(dst + k, 0, static_cast<size_t>(lda - k));  // the GEMM reads K padded to 4
        }
      }
      // The epilogue's row-indexed operands, from this block's first row.
      Epilogue ep_block = ep;
      if (ep_block.multiplier != nullptr) ep_block.multiplier += r0 * ep.ldm;
      if (ep_block.residual != nullptr) ep_block.residual += r0 * ep.ldr;
      if (gated) {
        if (s.gate.size() < static_cast<size_t>(kRowBlock * n)) s.gate.resize(kRowBlock * n);
        Epilogue gate_ep;
        gate_ep.bias = gate_bias;
        gate_ep.activation = gate_act;
        gemm_block(isa, a, lda, rows, k, *gate_side, *gate_params, gate_ep, s.gate.data(), s.c);
        ep_block.multiplier = s.gate.data();
        ep_block.ldm = n;
      }
      gemm_block(isa, a, lda, rows, k, side, p, ep_block, yv + r0 * n, s.c);
    };
    // Below ~25 µs of work, waking a worker costs more than it saves.
    if (blocks > 1 && m * n * k >= (int64_t{1} << 22)) {
      pool->parallel_for(blocks, block);
    } else {
      for (int64_t blk = 0; blk < blocks; ++blk) block(blk);
    }
    if (residual_later) add_residual_broadcast(node, ctx.input(kFusedResidual), y);
  };
}

}  // namespace bog::runtime::cpu
