// The cpu provider's quantized kernels against the reference kernels: the int8 GEMM on every
// ISA path this CPU has (exact), DynamicQuantizeMatMul against the DynamicQuantizeLinear ->
// MatMulInteger -> Cast -> Mul composition (bit-exact), MatMulNBits (close: only the summation
// order differs), and the fusion pass inside a Session. Random odd shapes, batch 1, empty dims.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/gemm/packed_gemm.h"
#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"
#include "onnx_runtime/providers/cpu/quant/int8_gemm.h"
#include "onnx_runtime/providers/cpu/quant/quant_kernels.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"
#include "onnx_runtime/providers/reference/kernels/quant_contrib.h"
#include "onnx_runtime/providers/reference/reference_provider.h"
#include "onnx_runtime/session.h"
#include "tests/runtime/kernel_test_util.h"

namespace bog::runtime::testing {
namespace {

using cpu::Int8Isa;

std::vector<Int8Isa> isas_here() {
  std::vector<Int8Isa> v = {Int8Isa::kScalar};
  const Int8Isa best = cpu::best_int8_isa();
  if (best == Int8Isa::kAvx2 || best == Int8Isa::kAvx512Vnni) v.push_back(Int8Isa::kAvx2);
  if (best == Int8Isa::kAvx512Vnni) v.push_back(Int8Isa::kAvx512Vnni);
  return v;
}

template <typename T>
Tensor random_ints(const Shape& shape, uint32_t seed, int lo, int hi) {
  Tensor t(dtype_of<T>(), shape);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(lo, hi);
  for (T& v : t.span<T>()) v = static_cast<T>(d(rng));
  return t;
}

struct Dims {
  int64_t m, k, n;
};
// Rows cover every tail of the 8-row VNNI tile (1..7), columns partial 16- and 32-wide strips.
const Dims kShapes[] = {{1, 1, 1},  {1, 96, 48}, {5, 7, 11},   {13, 33, 17},
                        {4, 4, 32}, {3, 130, 1}, {67, 96, 96}, {9, 256, 40},
                        {2, 5, 33}, {0, 8, 5},   {15, 20, 70}, {22, 40, 50}};

TEST(Int8Gemm, EveryIsaPathEqualsNaiveInt32Sums) {
  for (Int8Isa isa : isas_here()) {
    for (const Dims& d : kShapes) {
      const uint32_t seed = static_cast<uint32_t>(d.m * 131 + d.k * 7 + d.n);
      SCOPED_TRACE(::testing::Message() << cpu::int8_isa_name(isa) << " m=" << d.m << " k=" << d.k
                                        << " n=" << d.n << " seed=" << seed);
      const Tensor a = random_ints<uint8_t>({d.m, d.k}, seed, 0, 255);
      const Tensor b = random_ints<int8_t>({d.k, d.n}, seed + 1, -128, 127);
      const cpu::PackedB8 packed = cpu::pack_b8(b.data<int8_t>(), d.k, d.n);
      std::vector<uint8_t> apad(static_cast<size_t>(std::max<int64_t>(1, d.m) * packed.k4), 0);
      for (int64_t r = 0; r < d.m; ++r) {
        std::memcpy(apad.data() + r * packed.k4, a.data<uint8_t>() + r * d.k,
                    static_cast<size_t>(d.k));
      }
      std::vector<int32_t> c(static_cast<size_t>(std::max<int64_t>(1, d.m * d.n)), -1);
      cpu::gemm_u8s8(isa, apad.data(), packed.k4, d.m, packed, c.data(), d.n);
      for (int64_t r = 0; r < d.m; ++r) {
        for (int64_t j = 0; j < d.n; ++j) {
          int32_t want = 0;
          for (int64_t i = 0; i < d.k; ++i) {
            want += int32_t{a.data<uint8_t>()[r * d.k + i]} * b.data<int8_t>()[i * d.n + j];
          }
          ASSERT_EQ(c[static_cast<size_t>(r * d.n + j)], want) << "r=" << r << " j=" << j;
        }
      }
    }
  }
}

// The composition the fused kernel replaces, run on the reference provider.
Tensor reference_chain(const Tensor& x, const Tensor& w, const Tensor& ws, const Tensor* wz) {
  ReferenceProvider ref;
  std::vector<Value> q = run_node(ref, make_node("DynamicQuantizeLinear", 1, 3, 11), [&] {
    std::vector<Tensor> v;
    v.push_back(x.clone());
    return v;
  }());
  const Value wv = Value::from_tensor(w.clone());
  const Value wzv = wz ? Value::from_tensor(wz->clone())
                       : Value::from_tensor(Tensor::from_vector<int8_t>({}, {0}));
  std::vector<Value> acc = run_node(ref, make_node("MatMulInteger", 4, 1, 10),
                                    std::vector<const Value*>{&q[0], &wv, &q[2], &wzv});
  std::vector<Value> f = run_node(ref, make_node("Cast", 1, 1, 13, {int_attr("to", 1)}),
                                  std::vector<const Value*>{&acc[0]});
  const Value wsv = Value::from_tensor(ws.clone());
  std::vector<Value> s =
      run_node(ref, make_node("Mul", 2, 1, 14), std::vector<const Value*>{&q[1], &wsv});
  std::vector<Value> y =
      run_node(ref, make_node("Mul", 2, 1, 14), std::vector<const Value*>{&f[0], &s[0]});
  return std::move(y[0].tensor);
}

// Runs DynamicQuantizeMatMul on `pool` with the given inputs (null = absent) and attributes.
struct DqmmInputs {
  const Tensor* x = nullptr;
  const Tensor* w = nullptr;
  const Tensor* w_scale = nullptr;
  const Tensor* w_zp = nullptr;
  const Tensor* bias = nullptr;
  const Tensor* residual = nullptr;
  const Tensor* multiplier = nullptr;
  const Tensor* x_scale = nullptr;  // with a uint8 X (a shared DynamicQuantizeLinear's output)
  const Tensor* x_zp = nullptr;
  const Tensor* gate_w = nullptr;  // a SwiGLU gate merged in (attribute gate_activation)
  const Tensor* gate_w_scale = nullptr;
  const Tensor* gate_w_zp = nullptr;
  const Tensor* gate_bias = nullptr;
};
Tensor run_dqmm(const DqmmInputs& d, Int8Isa isa, int threads, std::vector<Attribute> attrs = {}) {
  Node node =
      make_node(cpu::kDynamicQuantizeMatMul, cpu::kDqmmGateBias + 1, 1, 1, std::move(attrs));
  node.domain = cpu::kQuantFusedDomain;
  std::vector<Value> in(cpu::kDqmmGateBias + 1);
  std::vector<const Value*> ptrs(in.size(), nullptr);
  const auto put = [&](size_t i, const Tensor* t) {
    if (t == nullptr) return;
    in[i] = Value::from_tensor(t->clone());
    ptrs[i] = &in[i];
  };
  put(0, d.x);
  put(1, d.w);
  put(cpu::kFusedBias, d.bias);
  put(cpu::kFusedResidual, d.residual);
  put(cpu::kFusedMultiplier, d.multiplier);
  put(cpu::kDqmmWScale, d.w_scale);
  put(cpu::kDqmmWZeroPoint, d.w_zp);
  put(cpu::kDqmmXScale, d.x_scale);
  put(cpu::kDqmmXZeroPoint, d.x_zp);
  put(cpu::kDqmmGateW, d.gate_w);
  put(cpu::kDqmmGateWScale, d.gate_w_scale);
  put(cpu::kDqmmGateWZeroPoint, d.gate_w_zp);
  put(cpu::kDqmmGateBias, d.gate_bias);
  auto pool = std::make_shared<cpu::ThreadPool>(threads);
  KernelFn fn = cpu::make_dynamic_quantize_matmul(node, pool, isa);
  KernelContext ctx(node, ptrs, 1);
  fn(ctx);
  return std::move(ctx.outputs()[0].tensor);
}

void expect_bit_equal(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i) {
    ASSERT_EQ(got.data<float>()[i], want.data<float>()[i]) << "at " << i;
  }
}

TEST(DynamicQuantizeMatMulFused, BitExactAgainstReferenceCompositionOnEveryIsa) {
  int case_no = 0;
  for (Int8Isa isa : isas_here()) {
    for (const Dims& d : kShapes) {
      if (d.m == 0) continue;  // DynamicQuantizeLinear of an empty tensor: nothing to compare
      for (int form = 0; form < 3; ++form) {  // per tensor, per column, per column + zero points
        const uint32_t seed = static_cast<uint32_t>(1000 + case_no++);
        SCOPED_TRACE(::testing::Message() << cpu::int8_isa_name(isa) << " m=" << d.m << " k=" << d.k
                                          << " n=" << d.n << " form=" << form << " seed=" << seed);
        const Tensor x = random_tensor({1, d.m, d.k}, seed, -3.0f, 2.0f);
        const Tensor w = random_ints<int8_t>({d.k, d.n}, seed + 1, -127, 127);
        const Tensor ws = form == 0 ? random_tensor({}, seed + 2, 0.001f, 0.02f)
                                    : random_tensor({d.n}, seed + 2, 0.001f, 0.02f);
        const Tensor wz = random_ints<int8_t>({d.n}, seed + 3, -3, 3);
        const Tensor want = reference_chain(x, w, ws, form == 2 ? &wz : nullptr);
        for (int threads : {1, 2}) {
          DqmmInputs in{&x, &w, &ws, form == 2 ? &wz : nullptr};
          expect_bit_equal(run_dqmm(in, isa, threads), want);
        }
      }
    }
  }
}

// The epilogue the fuse_matmul pass gives it: act(y + bias) * multiplier + residual, with the
// float ops of the graph it replaces (Add, the fused activations, Mul, Add) in that order.
TEST(DynamicQuantizeMatMulFused, EpilogueEqualsTheOpsItReplaces) {
  const Dims shapes[] = {{1, 96, 48}, {67, 96, 96}, {130, 33, 17}, {3, 256, 40}};
  int case_no = 0;
  for (const Dims& d : shapes) {
    for (const char* act : {"", "relu", "silu", "gelu_erf", "gelu_tanh"}) {
      const uint32_t seed = static_cast<uint32_t>(5000 + case_no++);
      SCOPED_TRACE(::testing::Message() << "m=" << d.m << " k=" << d.k << " n=" << d.n
                                        << " act=" << act << " seed=" << seed);
      const Tensor x = random_tensor({d.m, d.k}, seed, -2.0f, 2.0f);
      const Tensor w = random_ints<int8_t>({d.k, d.n}, seed + 1, -127, 127);
      const Tensor ws = random_tensor({d.n}, seed + 2, 0.001f, 0.02f);
      const Tensor bias = random_tensor({d.n}, seed + 3);
      const Tensor mult = random_tensor({d.m, d.n}, seed + 4);
      const Tensor res = random_tensor({d.m, d.n}, seed + 5);
      const Tensor row_res = random_tensor({d.n}, seed + 6);  // broadcast residual
      for (int threads : {1, 2}) {
        Tensor want = run_dqmm({&x, &w, &ws}, cpu::best_int8_isa(), threads);
        float* v = want.data<float>();
        for (int64_t r = 0; r < d.m; ++r) {
          float* row = v + r * d.n;
          for (int64_t c = 0; c < d.n; ++c) row[c] += bias.data<float>()[c];
          cpu::apply_activation(cpu::parse_activation(act), row, d.n);
        }
        Tensor want_b = want.clone();
        // Separate passes, as the graph's Mul and Add kernels (no fused multiply-add).
        for (int64_t i = 0; i < want.numel(); ++i) v[i] *= mult.data<float>()[i];
        for (int64_t i = 0; i < want.numel(); ++i) v[i] += res.data<float>()[i];
        for (int64_t i = 0; i < want.numel(); ++i) {
          want_b.data<float>()[i] += row_res.data<float>()[i % d.n];
        }
        std::vector<Attribute> attrs;
        if (*act) attrs.push_back(string_attr("activation", act));
        DqmmInputs all{&x, &w, &ws, nullptr, &bias, &res, &mult};
        expect_bit_equal(run_dqmm(all, cpu::best_int8_isa(), threads, attrs), want);
        DqmmInputs broadcast{&x, &w, &ws, nullptr, &bias, &row_res, nullptr};
        expect_bit_equal(run_dqmm(broadcast, cpu::best_int8_isa(), threads, attrs), want_b);
      }
    }
  }
}

// DynamicQuantizeLinear on cpu (kept where several MatMuls share it) against the reference
// kernel, bit for bit: uint8 data, scale and zero point, on 1 and 2 threads, every ISA path.
TEST(DynamicQuantizeLinearCpu, EqualsReferenceBitForBit) {
  const std::vector<Shape> shapes = {{1}, {3, 7}, {2, 65, 96}, {1, 1, 33}, {0, 5}, {600, 130}};
  uint32_t seed = 7000;
  for (Int8Isa isa : isas_here()) {
    for (const Shape& shape : shapes) {
      for (const bool zeros : {false, true}) {
        SCOPED_TRACE(::testing::Message() << cpu::int8_isa_name(isa) << " "
                                          << shape_to_string(shape) << " zeros=" << zeros);
        Tensor x = random_tensor(shape, seed++, -3.0f, 2.0f);
        if (zeros) std::fill(x.span<float>().begin(), x.span<float>().end(), 0.0f);
        ReferenceProvider ref;
        const Node node = make_node("DynamicQuantizeLinear", 1, 3, 11);
        std::vector<Tensor> ref_in;
        ref_in.push_back(x.clone());
        const std::vector<Value> want = run_node(ref, node, std::move(ref_in));
        for (const int threads : {1, 2}) {
          auto pool = std::make_shared<cpu::ThreadPool>(threads);
          KernelFn fn = cpu::make_dynamic_quantize_linear(pool, isa, nullptr, nullptr);
          const Value xv = Value::from_tensor(x.clone());
          KernelContext ctx(node, std::vector<const Value*>{&xv}, 3);
          fn(ctx);
          for (size_t o = 0; o < 3; ++o) {
            const Tensor& got = ctx.outputs()[o].tensor;
            const Tensor& exp = want[o].tensor;
            ASSERT_EQ(got.dtype(), exp.dtype()) << "output " << o;
            ASSERT_EQ(got.shape(), exp.shape()) << "output " << o;
            ASSERT_EQ(std::memcmp(got.raw(), exp.raw(), exp.nbytes()), 0) << "output " << o;
          }
        }
      }
    }
  }
}

// DynamicQuantizeMatMul taking X already quantized (uint8 + scale + zero point): K a multiple of
// 4 (A read in place) and not (rows copied and padded), with and without W zero points.
TEST(DynamicQuantizeMatMulFused, PrequantizedXEqualsTheComposition) {
  const Dims shapes[] = {{1, 96, 48}, {67, 96, 96}, {13, 33, 17}, {130, 256, 40}, {5, 7, 11}};
  int case_no = 0;
  for (Int8Isa isa : isas_here()) {
    for (const Dims& d : shapes) {
      for (const bool with_zp : {false, true}) {
        const uint32_t seed = static_cast<uint32_t>(8000 + case_no++);
        SCOPED_TRACE(::testing::Message() << cpu::int8_isa_name(isa) << " m=" << d.m << " k=" << d.k
                                          << " n=" << d.n << " zp=" << with_zp);
        const Tensor x = random_tensor({1, d.m, d.k}, seed, -3.0f, 2.0f);
        const Tensor w = random_ints<int8_t>({d.k, d.n}, seed + 1, -127, 127);
        const Tensor ws = random_tensor({d.n}, seed + 2, 0.001f, 0.02f);
        const Tensor wz = random_ints<int8_t>({d.n}, seed + 3, -3, 3);
        const Tensor want = reference_chain(x, w, ws, with_zp ? &wz : nullptr);
        ReferenceProvider ref;
        std::vector<Tensor> q_in;
        q_in.push_back(x.clone());
        const std::vector<Value> q =
            run_node(ref, make_node("DynamicQuantizeLinear", 1, 3, 11), std::move(q_in));
        for (const int threads : {1, 2}) {
          DqmmInputs in{&q[0].tensor, &w, &ws, with_zp ? &wz : nullptr};
          in.x_scale = &q[1].tensor;
          in.x_zp = &q[2].tensor;
          expect_bit_equal(run_dqmm(in, isa, threads), want);
        }
      }
    }
  }
  // A uint8 X without its scale is one clear error.
  const Tensor xq = random_ints<uint8_t>({4, 8}, 1, 0, 255);
  const Tensor w = random_ints<int8_t>({8, 5}, 2, -127, 127);
  const Tensor ws = Tensor::from_vector<float>({}, {0.5f});
  EXPECT_THROW(run_dqmm({&xq, &w, &ws}, cpu::best_int8_isa(), 1), Error);
}

// SwiGLU's gate merged into the up GEMM (computed block by block, never stored whole) equals
// the two GEMMs it replaces, gate (bias, SiLU) then up with the gate as its multiplier, bit for
// bit: float and quantized X, with and without weight zero points, odd sizes, 1 and 2 threads.
TEST(DynamicQuantizeMatMulFused, MergedGateEqualsTheGateThenUpComposition) {
  const Dims shapes[] = {{1, 96, 48}, {67, 96, 96}, {130, 33, 17}, {65, 96, 256}, {5, 7, 11}};
  int case_no = 0;
  for (Int8Isa isa : isas_here()) {
    for (const Dims& d : shapes) {
      for (const bool with_zp : {false, true}) {
        for (const bool prequantized : {false, true}) {
          const uint32_t seed = static_cast<uint32_t>(9000 + 10 * case_no++);
          SCOPED_TRACE(::testing::Message()
                       << cpu::int8_isa_name(isa) << " m=" << d.m << " k=" << d.k << " n=" << d.n
                       << " zp=" << with_zp << " uint8 X=" << prequantized);
          const Tensor xf = random_tensor({1, d.m, d.k}, seed, -3.0f, 2.0f);
          const Tensor wg = random_ints<int8_t>({d.k, d.n}, seed + 1, -127, 127);
          const Tensor wu = random_ints<int8_t>({d.k, d.n}, seed + 2, -127, 127);
          const Tensor wgs = random_tensor({d.n}, seed + 3, 0.001f, 0.02f);
          const Tensor wus = random_tensor({d.n}, seed + 4, 0.001f, 0.02f);
          const Tensor wgz = random_ints<int8_t>({d.n}, seed + 5, -3, 3);
          const Tensor wuz = random_ints<int8_t>({d.n}, seed + 6, -3, 3);
          const Tensor gb = random_tensor({d.n}, seed + 7);
          const Tensor ub = random_tensor({d.n}, seed + 8);
          const Tensor res = random_tensor({1, d.m, d.n}, seed + 9);
          ReferenceProvider ref;
          std::vector<Tensor> q_in;
          q_in.push_back(xf.clone());
          const std::vector<Value> q =
              run_node(ref, make_node("DynamicQuantizeLinear", 1, 3, 11), std::move(q_in));
          for (const int threads : {1, 2}) {
            DqmmInputs gate{prequantized ? &q[0].tensor : &xf, &wg, &wgs, with_zp ? &wgz : nullptr,
                            &gb};
            DqmmInputs up{prequantized ? &q[0].tensor : &xf, &wu, &wus,
                          with_zp ? &wuz : nullptr,          &ub, &res};
            if (prequantized) {
              gate.x_scale = up.x_scale = &q[1].tensor;
              gate.x_zp = up.x_zp = &q[2].tensor;
            }
            const Tensor g = run_dqmm(gate, isa, threads, {string_attr("activation", "silu")});
            DqmmInputs two = up;
            two.multiplier = &g;
            const Tensor want = run_dqmm(two, isa, threads);
            DqmmInputs merged = up;
            merged.gate_w = &wg;
            merged.gate_w_scale = &wgs;
            merged.gate_w_zp = with_zp ? &wgz : nullptr;
            merged.gate_bias = &gb;
            expect_bit_equal(
                run_dqmm(merged, isa, threads, {string_attr("gate_activation", "silu")}), want);
          }
        }
      }
    }
  }
  // A gate weight of another shape is one clear error.
  const Tensor x = random_tensor({4, 8}, 1);
  const Tensor w = random_ints<int8_t>({8, 5}, 2, -127, 127);
  const Tensor wrong = random_ints<int8_t>({8, 6}, 3, -127, 127);
  const Tensor ws = Tensor::from_vector<float>({}, {0.5f});
  DqmmInputs bad{&x, &w, &ws};
  bad.gate_w = &wrong;
  bad.gate_w_scale = &ws;
  EXPECT_THROW(run_dqmm(bad, cpu::best_int8_isa(), 1, {string_attr("gate_activation", "silu")}),
               Error);
}

TEST(DynamicQuantizeMatMulFused, AllZeroInputGivesZeros) {
  const Tensor x = Tensor::from_vector<float>({2, 3}, {0, 0, 0, 0, 0, 0});
  const Tensor w = random_ints<int8_t>({3, 5}, 5, -127, 127);
  const Tensor ws = Tensor::from_vector<float>({}, {0.5f});
  const Tensor want = reference_chain(x, w, ws, nullptr);
  const Tensor got = run_dqmm({&x, &w, &ws}, cpu::best_int8_isa(), 1);
  for (int64_t i = 0; i < want.numel(); ++i) {
    EXPECT_EQ(got.data<float>()[i], 0.0f);
    EXPECT_EQ(want.data<float>()[i], 0.0f);
  }
}

TEST(DynamicQuantizeMatMulFused, BadInputsFailWithOneError) {
  const Tensor x = random_tensor({4, 8}, 1);
  const Tensor w = random_ints<int8_t>({8, 5}, 2, -127, 127);
  const Tensor ws = Tensor::from_vector<float>({}, {0.5f});
  const Tensor bad_ws = random_tensor({3}, 3);
  const Tensor bad_bias = random_tensor({4}, 4);
  const Tensor bad_mult = random_tensor({4, 4}, 5);
  const Tensor wrong_k = random_tensor({4, 7}, 6);
  const Int8Isa isa = cpu::best_int8_isa();
  EXPECT_THROW(run_dqmm({&x, &w, &bad_ws}, isa, 1), Error);
  EXPECT_THROW(run_dqmm({&x, &w, &ws, nullptr, &bad_bias}, isa, 1), Error);
  EXPECT_THROW(run_dqmm({&x, &w, &ws, nullptr, nullptr, nullptr, &bad_mult}, isa, 1), Error);
  EXPECT_THROW(run_dqmm({&wrong_k, &w, &ws}, isa, 1), Error);
  EXPECT_THROW(run_dqmm({&x, &w, nullptr}, isa, 1), Error);
}

// DequantizeLinear's per-tensor fast path against the reference kernel (bit for bit), and the
// forms it hands back (per-axis scale) still right.
TEST(DequantizeLinearCpu, PerTensorEqualsReferenceBitForBit) {
  ReferenceProvider ref;
  for (const bool is_signed : {true, false}) {
    for (const Shape& shape : {Shape{0}, Shape{1}, Shape{7, 13}, Shape{3, 5, 96}}) {
      SCOPED_TRACE(::testing::Message()
                   << "signed=" << is_signed << " shape=" << shape_to_string(shape));
      const Tensor x = is_signed ? random_ints<int8_t>(shape, 7, -128, 127)
                                 : random_ints<uint8_t>(shape, 7, 0, 255);
      const Tensor scale = Tensor::from_vector<float>({}, {0.0371f});
      const Tensor zp = is_signed ? Tensor::from_vector<int8_t>({}, {-3})
                                  : Tensor::from_vector<uint8_t>({}, {131});
      for (const bool with_zp : {true, false}) {
        const size_t inputs = with_zp ? 3 : 2;
        const Node node = make_node("DequantizeLinear", inputs, 1, 19);
        std::vector<Tensor> in;
        in.push_back(x.clone());
        in.push_back(scale.clone());
        if (with_zp) in.push_back(zp.clone());
        std::vector<Tensor> in2;
        for (const Tensor& t : in) in2.push_back(t.clone());
        const std::vector<Value> want = run_node(ref, node, std::move(in));
        KernelFn fn = cpu::make_dequantize_linear(node, ref.create_kernel(node));
        std::vector<Value> values;
        for (Tensor& t : in2) values.push_back(Value::from_tensor(std::move(t)));
        std::vector<const Value*> ptrs;
        for (const Value& v : values) ptrs.push_back(&v);
        KernelContext ctx(node, ptrs, 1);
        fn(ctx);
        expect_bit_equal(ctx.outputs()[0].tensor, want[0].tensor);
      }
    }
  }
  // Per-axis: the fallback's answer.
  const Node node = make_node("DequantizeLinear", 2, 1, 19, {int_attr("axis", 0)});
  const Tensor x = random_ints<int8_t>({2, 3}, 9, -128, 127);
  const Tensor scale = Tensor::from_vector<float>({2}, {0.5f, 2.0f});
  KernelFn fn = cpu::make_dequantize_linear(node, ref.create_kernel(node));
  std::vector<Value> values;
  values.push_back(Value::from_tensor(x.clone()));
  values.push_back(Value::from_tensor(scale.clone()));
  KernelContext ctx(node, {&values[0], &values[1]}, 1);
  fn(ctx);
  for (int64_t i = 0; i < 6; ++i) {
    EXPECT_EQ(ctx.outputs()[0].tensor.data<float>()[i],
              static_cast<float>(x.data<int8_t>()[i]) * (i < 3 ? 0.5f : 2.0f));
  }
}

// MatMulNBits inputs for a random [K, N] weight: codes, scales, optional packed zero points.
struct NBits {
  Tensor b, scales, zp;
};
NBits random_nbits(int64_t k, int64_t n, int bits, int64_t block, uint32_t seed) {
  const int64_t kb = (k + block - 1) / block;
  NBits q;
  q.b = random_ints<uint8_t>({n, kb, block * bits / 8}, seed, 0, 255);
  q.scales = random_tensor({n, kb}, seed + 1, -0.1f, 0.1f);
  q.zp = random_ints<uint8_t>({n, (kb * bits + 7) / 8}, seed + 2, 0, 255);
  return q;
}

Node nbits_node(int64_t k, int64_t n, int bits, int64_t block, size_t inputs) {
  Node node = make_node(
      "MatMulNBits", inputs, 1, 1,
      {int_attr("K", k), int_attr("N", n), int_attr("bits", bits), int_attr("block_size", block)});
  node.domain = ref::kMsDomain;
  return node;
}

TEST(MatMulNBitsReference, DequantizesOrtLayoutExactly) {
  // K = 3 (one block of 16, padded), N = 2, 4 bits, default zero point 8.
  // Column 0 codes 9, 7, 8 -> (1, -1, 0) * 0.5; column 1 codes 15, 0, 8 -> (7, -8, 0) * 2.
  std::vector<uint8_t> blob(2 * 8, 0);
  blob[0] = 9 | (7 << 4);
  blob[1] = 8;
  blob[8] = 15 | (0 << 4);
  blob[9] = 8;
  const Tensor b = Tensor::from_vector<uint8_t>({2, 1, 8}, blob);
  ReferenceProvider ref;
  std::vector<Tensor> in;
  in.push_back(Tensor::from_vector<float>({1, 3}, {1.0f, 10.0f, 100.0f}));
  in.push_back(b.clone());
  in.push_back(Tensor::from_vector<float>({2, 1}, {0.5f, 2.0f}));
  const std::vector<Value> y = run_node(ref, nbits_node(3, 2, 4, 16, 3), std::move(in));
  EXPECT_FLOAT_EQ(y[0].tensor.data<float>()[0], 0.5f * (1 - 10));
  EXPECT_FLOAT_EQ(y[0].tensor.data<float>()[1], 2.0f * (7 - 80));
}

// The decode-step path (bits 4 and 8, up to 64 rows, blocks of 32/64/128: nbits_gemv.cpp)
// against the reference on the shapes a decoder has: K past and short of a block, N not a
// multiple of the kernel's 4-column group, rows past a group of 4, 1 and 2 threads.
TEST(MatMulNBitsCpu, DecodeStepRowsMatchReference) {
  ReferenceProvider ref;
  struct Case {
    int64_t m, k, n, block;
  };
  const Case cases[] = {{1, 32, 1, 32},   {1, 100, 5, 32},   {2, 512, 513, 32}, {3, 1408, 7, 64},
                        {4, 192, 4, 128}, {1, 31, 3, 32},    {4, 65, 9, 32},    {1, 512, 64, 64},
                        {2, 33, 1, 32},   {3, 256, 130, 32}, {9, 96, 11, 32},   {64, 64, 5, 64}};
  int case_no = 0;
  for (const Case& c : cases) {
    for (const int bits : {4, 8}) {
      for (const bool with_zp : {false, true}) {
        for (const int threads : {1, 2}) {
          const uint32_t seed = static_cast<uint32_t>(900 + case_no++);
          SCOPED_TRACE(::testing::Message()
                       << "bits=" << bits << " m=" << c.m << " k=" << c.k << " n=" << c.n
                       << " block=" << c.block << " zp=" << with_zp << " threads=" << threads
                       << " seed=" << seed);
          const NBits q = random_nbits(c.k, c.n, bits, c.block, seed);
          std::vector<Value> vin;
          vin.push_back(Value::from_tensor(random_tensor({c.m, c.k}, seed + 9)));
          vin.push_back(Value::from_tensor(q.b.clone()));
          vin.push_back(Value::from_tensor(q.scales.clone()));
          vin.push_back(with_zp ? Value::from_tensor(q.zp.clone()) : Value());
          vin.push_back(Value());
          vin.push_back(Value::from_tensor(random_tensor({c.n}, seed + 10)));
          std::vector<const Value*> ptrs;
          for (const Value& v : vin) ptrs.push_back(v.tensor.defined() ? &v : nullptr);
          const Node node = nbits_node(c.k, c.n, bits, c.block, 6);
          const std::vector<Value> want = run_node(ref, node, ptrs);
          KernelContext ctx(node, ptrs, 1);
          cpu::make_matmul_nbits(threads, ref.create_kernel(node))(ctx);
          expect_close(ctx.outputs()[0].tensor, want[0].tensor, 1e-4f, 1e-4f);
        }
      }
    }
  }
}

TEST(MatMulNBitsCpu, MatchesReferenceOnOddShapes) {
  ReferenceProvider ref;
  int case_no = 0;
  for (int bits : {4, 8}) {
    for (const Dims& d : kShapes) {
      for (int64_t block : {16, 32}) {
        for (bool with_zp : {false, true}) {
          const uint32_t seed = static_cast<uint32_t>(500 + case_no++);
          SCOPED_TRACE(::testing::Message()
                       << "bits=" << bits << " m=" << d.m << " k=" << d.k << " n=" << d.n
                       << " block=" << block << " zp=" << with_zp << " seed=" << seed);
          const NBits q = random_nbits(d.k, d.n, bits, block, seed);
          const Tensor a = random_tensor({d.m, d.k}, seed + 9);
          const Tensor bias = random_tensor({d.n}, seed + 10);
          auto inputs = [&] {
            std::vector<Value> v;
            v.push_back(Value::from_tensor(a.clone()));
            v.push_back(Value::from_tensor(q.b.clone()));
            v.push_back(Value::from_tensor(q.scales.clone()));
            v.push_back(with_zp ? Value::from_tensor(q.zp.clone()) : Value());
            v.push_back(Value());
            v.push_back(Value::from_tensor(bias.clone()));
            return v;
          };
          const Node node = nbits_node(d.k, d.n, bits, block, 6);
          std::vector<Value> vin = inputs();
          std::vector<const Value*> ptrs;
          for (const Value& v : vin) ptrs.push_back(v.tensor.defined() ? &v : nullptr);
          const std::vector<Value> want = run_node(ref, node, ptrs);
          KernelContext ctx(node, ptrs, 1);
          cpu::make_matmul_nbits(2, ref.create_kernel(node))(ctx);
          // float sums in a different order than the reference's double sums
          expect_close(ctx.outputs()[0].tensor, want[0].tensor, 1e-4f, 1e-4f);
        }
      }
    }
  }
}

TEST(GatherBlockQuantizedReference, DequantizesPackedRows) {
  // Table 2 x 32 at 4 bits, block 16, default zero point 8: row 1's first block codes 10 (scale
  // 0.25), second block codes 6 (scale -1).
  std::vector<uint8_t> data(2 * 16, 0x88);
  for (int i = 0; i < 8; ++i) data[16 + i] = 0xAA;
  for (int i = 8; i < 16; ++i) data[16 + i] = 0x66;
  ReferenceProvider ref;
  Node node =
      make_node("GatherBlockQuantized", 3, 1, 1, {int_attr("block_size", 16), int_attr("bits", 4)});
  node.domain = ref::kMsDomain;
  std::vector<Tensor> in;
  in.push_back(Tensor::from_vector<uint8_t>({2, 16}, data));
  in.push_back(Tensor::from_vector<int64_t>({1, 2}, {1, -2}));
  in.push_back(Tensor::from_vector<float>({2, 2}, {1.0f, 1.0f, 0.25f, -1.0f}));
  const std::vector<Value> y = run_node(ref, node, std::move(in));
  ASSERT_EQ(y[0].tensor.shape(), (Shape{1, 2, 32}));
  const float* v = y[0].tensor.data<float>();
  EXPECT_FLOAT_EQ(v[0], 0.5f);   // (10 - 8) * 0.25
  EXPECT_FLOAT_EQ(v[16], 2.0f);  // (6 - 8) * -1
  EXPECT_FLOAT_EQ(v[32], 0.0f);  // row 0: code 8 = zero
}

}  // namespace
}  // namespace bog::runtime::testing
