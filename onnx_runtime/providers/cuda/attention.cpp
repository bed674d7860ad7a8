// Attention (domain bog.cpu), the fuse_attention pass's node, with the cpu kernel's semantics:
//   out = Softmax(Q·Kᵀ · scale + bias) · V   (grouped KV heads, optional merged output)
// Inputs: q [B, H, Tq, D]; k [B, Hkv, Tk, D] (Kᵀ [B, Hkv, D, Tk] with k_transposed=1);
// v [B, Hkv, Tk, Dv]; bias (broadcastable to [B, H, Tq, Tk]: causal and padding masks)?;
// out_shape (int64, ONNX Reshape of the merged output)?; k_expand, k_reshape, v_expand,
// v_reshape (int64: the graph's repeat of each KV head, checked, never copied)?.
// Attributes: scale, k_transposed, merged. Masked keys are computed like any other: exp() of
// their score is 0, as the cpu kernel's skipping of them assumes.
#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/cpu_provider.h"
#include "onnx_runtime/providers/cuda/cuda_ops.h"

namespace bog::runtime::cuda {
namespace {

[[noreturn]] void fail(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("Attention node '{}': {}", node.name, what));
}

// Reshape(Expand(Unsqueeze(x, 2), expand), reshape) must be x [B, Hkv, T, D] with each head
// repeated `group` times in place: [B, Hkv * group, T, D].
void check_kv_repeat(const KernelContext& k, const OpEnv& env, const Tensor& x, size_t expand_in,
                     int64_t group) {
  const Node& node = k.node();
  if (!k.has_input(expand_in) || !k.has_input(expand_in + 1)) return;
  const std::vector<int64_t> expand = read_ints(k, env, expand_in);
  const std::vector<int64_t> spec = read_ints(k, env, expand_in + 1);
  const Shape unsqueezed = {x.dim(0), x.dim(1), 1, x.dim(2), x.dim(3)};
  const Shape repeated = {x.dim(0), x.dim(1), group, x.dim(2), x.dim(3)};
  bool ok = expand.size() == 5;
  for (size_t i = 0; ok && i < 5; ++i) {
    const int64_t e = expand[i];
    ok = (unsqueezed[i] == 1 || e == 1 || e == unsqueezed[i]) &&
         (e == 1 ? unsqueezed[i] : e) == repeated[i];
  }
  const Shape want = {x.dim(0), x.dim(1) * group, x.dim(2), x.dim(3)};
  try {
    ok = ok && reshape_to(repeated, spec, false, node) == want;
  } catch (const Error&) {
    ok = false;
  }
  if (!ok) fail(node, "the grouped-KV expand does not repeat each head in place");
}

// Bias strides over [B, H, Tq, Tk] (0 where it broadcasts) into `s`.
void bias_strides(const Node& node, const Tensor& bias, AttentionShape& s) {
  require_float(bias, node, 3);
  const int64_t want[4] = {s.batch, s.heads, s.tq, s.tk};
  if (bias.rank() > 4) fail(node, "bias must be float32, rank <= 4");
  int64_t dims[4] = {1, 1, 1, 1};
  for (int64_t i = 0; i < bias.rank(); ++i) dims[4 - bias.rank() + i] = bias.dim(i);
  int64_t strides[4];
  int64_t acc = 1;
  for (int i = 3; i >= 0; --i) {
    if (dims[i] != 1 && dims[i] != want[i]) {
      fail(node, fmt::format("bias {} does not broadcast to [{},{},{},{}]",
                             shape_to_string(bias.shape()), s.batch, s.heads, s.tq, s.tk));
    }
    strides[i] = dims[i] == 1 ? 0 : acc;
    acc *= dims[i];
  }
  s.bias_sb = strides[0];
  s.bias_sh = strides[1];
  s.bias_sq = strides[2];
  s.bias_sk = strides[3];
}

void compute_attention(KernelContext& k, const OpEnv& env) {
  const Node& node = k.node();
  const Tensor& q = k.input(0);
  const Tensor& kt = k.input(1);
  const Tensor& v = k.input(2);
  // The 3-D form (nn.MultiheadAttention's [batch*heads, T, D]) is one batch of N heads, as on cpu.
  const int64_t rank = q.rank();
  for (size_t i = 0; i < 3; ++i) {
    require_float(k.input(i), node, i);
    if ((rank != 3 && rank != 4) || k.input(i).rank() != rank)
      fail(node, "q, k, v must be float32, all 4-D [B, H, T, D] or all 3-D [B*H, T, D]");
  }
  if (rank == 3 && (k.has_input(5) || k.has_input(7)))
    fail(node, "grouped-KV expands take 4-D q, k, v");
  if (k.has_input(3) && k.input(3).rank() > rank) fail(node, "bias has a higher rank than q, k, v");
  const auto dim = [rank](const Tensor& t, int64_t i) {
    return rank == 4 ? t.dim(i) : (i == 0 ? 1 : t.dim(i - 1));
  };
  AttentionShape s;
  s.scale = node.attr_float("scale", 1.0f);
  s.k_transposed = node.attr_int("k_transposed", 0) != 0;
  s.merged = node.attr_int("merged", 0) != 0;
  s.batch = dim(q, 0);
  s.heads = dim(q, 1);
  s.tq = dim(q, 2);
  s.d = dim(q, 3);
  s.kv_heads = dim(kt, 1);
  s.v_heads = dim(v, 1);
  s.tk = s.k_transposed ? dim(kt, 3) : dim(kt, 2);
  s.dv = dim(v, 3);
  const int64_t k_d = s.k_transposed ? dim(kt, 2) : dim(kt, 3);
  if (dim(kt, 0) != s.batch || dim(v, 0) != s.batch || k_d != s.d || dim(v, 2) != s.tk ||
      s.kv_heads <= 0 || s.v_heads <= 0 || s.heads % s.kv_heads != 0 || s.heads % s.v_heads != 0) {
    fail(node,
         fmt::format("shapes q {} k {} v {} do not form attention", shape_to_string(q.shape()),
                     shape_to_string(kt.shape()), shape_to_string(v.shape())));
  }
  check_kv_repeat(k, env, kt, 5, s.heads / s.kv_heads);
  check_kv_repeat(k, env, v, 7, s.heads / s.v_heads);
  const float* bias = nullptr;
  if (k.has_input(3)) {
    bias_strides(node, k.input(3), s);
    bias = k.input(3).data<float>();
  }
  Shape out = rank == 3 ? Shape{s.heads, s.tq, s.dv} : Shape{s.batch, s.heads, s.tq, s.dv};
  if (s.merged) {
    out = rank == 3 ? Shape{s.tq, s.heads * s.dv} : Shape{s.batch, s.tq, s.heads * s.dv};
    if (k.has_input(4)) {
      try {
        out = reshape_to({s.batch, s.tq, s.heads, s.dv}, read_ints(k, env, 4), false, node);
      } catch (const Error&) {
        fail(node, "output shape does not match the attention output");
      }
    }
  }
  if (s.d + s.tk > kAttentionMaxSharedFloats) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("cuda: Attention node '{}': {} keys of size {} exceed the kernel's "
                            "shared memory ({} floats for one query row and its scores)",
                            node.name, s.tk, s.d, kAttentionMaxSharedFloats));
  }
  Tensor& y = allocate_output(k, env, 0, DType::kFloat32, out);
  if (y.numel() == 0) return;
  launch_attention(q.data<float>(), kt.data<float>(), v.data<float>(), bias, y.data<float>(), s,
                   env.ctx->stream());
  check_launch("Attention");
}

}  // namespace

void register_attention_ops(KernelRegistry& r, const OpEnv* env) {
  r.add({"Attention", kCpuFusedDomain, 1, 1 << 20,
         [env](KernelContext& k) { compute_attention(k, *env); }});
}

}  // namespace bog::runtime::cuda
