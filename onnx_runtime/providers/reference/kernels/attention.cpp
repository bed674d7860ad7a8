// Attention (opset 23, 24): Y = softmax(softcap(Q K^T * scale) + bias) V, with the bias built
// from attn_mask, is_causal and nonpad_kv_seqlen, grouped-query heads, and a KV cache
// (past_key/past_value in, present_key/present_value out). Computed in double for every input
// precision; the result is rounded once to the input type.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <string>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/advanced_ops.h"
#include "onnx_runtime/providers/reference/kernels/float_io.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::ref {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

[[noreturn]] void bad(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("Attention node '{}': {}", node.name, what));
}

// A [batch, heads, seq, head_size] tensor held as doubles.
struct Heads {
  int64_t batch = 0, heads = 0, seq = 0, size = 0;
  std::vector<double> v;
  double at(int64_t b, int64_t h, int64_t s, int64_t d) const {
    return v[static_cast<size_t>(((b * heads + h) * seq + s) * size + d)];
  }
};

// Reads Q, K or V. 4-D inputs are already [B, H, S, D]; 3-D inputs are [B, S, H*D] and are
// split into `num_heads` heads.
Heads read_heads(const Tensor& t, int64_t num_heads, const char* what, const Node& node) {
  Heads h;
  std::vector<double> x = read_doubles(t, node);
  if (t.rank() == 4) {
    h.batch = t.dim(0);
    h.heads = t.dim(1);
    h.seq = t.dim(2);
    h.size = t.dim(3);
    h.v = std::move(x);
    return h;
  }
  if (t.rank() != 3) bad(node, fmt::format("{} must be 3-D or 4-D, got {}", what, t.rank()));
  if (num_heads <= 0) {
    bad(node, fmt::format("3-D {} needs the q_num_heads and kv_num_heads attributes", what));
  }
  if (t.dim(2) % num_heads != 0) {
    bad(node,
        fmt::format("{} hidden size {} is not a multiple of {} heads", what, t.dim(2), num_heads));
  }
  h.batch = t.dim(0);
  h.heads = num_heads;
  h.seq = t.dim(1);
  h.size = t.dim(2) / num_heads;
  h.v.resize(x.size());
  for (int64_t b = 0; b < h.batch; ++b) {
    for (int64_t s = 0; s < h.seq; ++s) {
      for (int64_t hd = 0; hd < h.heads; ++hd) {
        for (int64_t d = 0; d < h.size; ++d) {
          h.v[static_cast<size_t>(((b * h.heads + hd) * h.seq + s) * h.size + d)] =
              x[static_cast<size_t>(((b * h.seq + s) * h.heads + hd) * h.size + d)];
        }
      }
    }
  }
  return h;
}

// Concatenates the cache `past` (may be empty) and the new `cur` along the sequence axis.
Heads concat_seq(const Heads* past, const Heads& cur, const char* what, const Node& node) {
  if (past == nullptr) return cur;
  if (past->batch != cur.batch || past->heads != cur.heads || past->size != cur.size) {
    bad(node, fmt::format("{} shape [{},{},{},{}] does not match the new keys/values "
                          "[{},{},{},{}]",
                          what, past->batch, past->heads, past->seq, past->size, cur.batch,
                          cur.heads, cur.seq, cur.size));
  }
  Heads out;
  out.batch = cur.batch;
  out.heads = cur.heads;
  out.seq = past->seq + cur.seq;
  out.size = cur.size;
  out.v.reserve(past->v.size() + cur.v.size());
  for (int64_t b = 0; b < out.batch; ++b) {
    for (int64_t h = 0; h < out.heads; ++h) {
      for (int64_t s = 0; s < out.seq; ++s) {
        for (int64_t d = 0; d < out.size; ++d) {
          out.v.push_back(s < past->seq ? past->at(b, h, s, d) : cur.at(b, h, s - past->seq, d));
        }
      }
    }
  }
  return out;
}

// The additive bias [B, Hq, Sq, T] from attn_mask (padded with -inf up to T), the causal rule
// and the per-batch count of valid keys.
std::vector<double> build_bias(const KernelContext& ctx, int64_t batch, int64_t q_heads,
                               int64_t q_seq, int64_t total, int64_t past_len) {
  const Node& node = ctx.node();
  std::vector<double> bias(static_cast<size_t>(batch * q_heads * q_seq * total), 0.0);
  auto idx = [&](int64_t b, int64_t h, int64_t i, int64_t j) {
    return static_cast<size_t>(((b * q_heads + h) * q_seq + i) * total + j);
  };

  if (ctx.has_input(3)) {
    const Tensor& mask = ctx.input(3);
    if (mask.rank() < 2 || mask.rank() > 4) {
      bad(node, fmt::format("attn_mask must have rank 2 to 4, got {}", mask.rank()));
    }
    // Right-align the mask's dims with [B, Hq, Sq, T]; each must be 1 or equal.
    const int64_t full[4] = {batch, q_heads, q_seq, total};
    int64_t mdim[4] = {1, 1, 1, 1};
    for (int64_t a = 0; a < mask.rank(); ++a) mdim[4 - mask.rank() + a] = mask.dim(a);
    for (int a = 0; a < 3; ++a) {
      if (mdim[a] != 1 && mdim[a] != full[a]) {
        bad(node, fmt::format("attn_mask shape {} does not broadcast to [{},{},{},{}]",
                              shape_to_string(mask.shape()), batch, q_heads, q_seq, total));
      }
    }
    if (mdim[3] > total) {
      bad(node,
          fmt::format("attn_mask has {} key positions, more than the {} keys", mdim[3], total));
    }
    const bool is_bool = mask.dtype() == DType::kBool;
    const std::vector<double> m = is_bool ? std::vector<double>() : read_doubles(mask, node);
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t h = 0; h < q_heads; ++h) {
        for (int64_t i = 0; i < q_seq; ++i) {
          for (int64_t j = 0; j < total; ++j) {
            if (j >= mdim[3]) {
              bias[idx(b, h, i, j)] = kNegInf;
              continue;
            }
            const size_t src = static_cast<size_t>(
                (((mdim[0] == 1 ? 0 : b) * mdim[1] + (mdim[1] == 1 ? 0 : h)) * mdim[2] +
                 (mdim[2] == 1 ? 0 : i)) *
                    mdim[3] +
                j);
            bias[idx(b, h, i, j)] = is_bool ? (mask.data<bool>()[src] ? 0.0 : kNegInf) : m[src];
          }
        }
      }
    }
  }

  std::vector<int64_t> nonpad;
  if (ctx.has_input(6)) {
    const Tensor& t = ctx.input(6);
    if (t.dtype() != DType::kInt64 || t.numel() != batch) {
      bad(node, fmt::format("nonpad_kv_seqlen must be int64 of shape [{}], got {} {}", batch,
                            dtype_name(t.dtype()), shape_to_string(t.shape())));
    }
    nonpad.assign(t.data<int64_t>(), t.data<int64_t>() + batch);
  }

  if (node.attr_int("is_causal", 0) != 0) {
    // Bottom-right aligned: query i may see key j iff j <= i + offset, where offset counts the
    // valid keys before this block of queries.
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t offset = ctx.has_input(4)  ? past_len
                             : !nonpad.empty() ? nonpad[static_cast<size_t>(b)] - q_seq
                                               : 0;
      for (int64_t h = 0; h < q_heads; ++h) {
        for (int64_t i = 0; i < q_seq; ++i) {
          for (int64_t j = 0; j < total; ++j) {
            if (j > i + offset) bias[idx(b, h, i, j)] += kNegInf;
          }
        }
      }
    }
  }
  if (!nonpad.empty()) {
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t h = 0; h < q_heads; ++h) {
        for (int64_t i = 0; i < q_seq; ++i) {
          for (int64_t j = nonpad[static_cast<size_t>(b)]; j < total; ++j) {
            if (j >= 0) bias[idx(b, h, i, j)] += kNegInf;
          }
        }
      }
    }
  }
  return bias;
}

void attention(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& q_in = ctx.input(0);
  const Tensor& k_in = ctx.input(1);
  const Tensor& v_in = ctx.input(2);
  if (!is_float_family(q_in.dtype())) unsupported_dtype(node, q_in.dtype());
  if (k_in.rank() != q_in.rank() || v_in.rank() != q_in.rank()) {
    bad(node, fmt::format("Q, K and V must have the same rank, got {}, {}, {}", q_in.rank(),
                          k_in.rank(), v_in.rank()));
  }
  const int64_t q_heads_attr = node.attr_int("q_num_heads", 0);
  const int64_t kv_heads_attr = node.attr_int("kv_num_heads", 0);
  const Heads q = read_heads(q_in, q_heads_attr, "Q", node);
  const Heads k_new = read_heads(k_in, kv_heads_attr, "K", node);
  const Heads v_new = read_heads(v_in, kv_heads_attr, "V", node);
  if (k_new.batch != q.batch || v_new.batch != q.batch) bad(node, "batch sizes differ");
  if (k_new.size != q.size) {
    bad(node, fmt::format("Q head size {} differs from K head size {}", q.size, k_new.size));
  }
  if (v_new.heads != k_new.heads || v_new.seq != k_new.seq) {
    bad(node, "K and V differ in heads or sequence length");
  }
  if (k_new.heads <= 0 || q.heads % k_new.heads != 0) {
    bad(node,
        fmt::format("q_num_heads {} is not a multiple of kv_num_heads {}", q.heads, k_new.heads));
  }

  Heads past_k, past_v;
  const bool has_past = ctx.has_input(4);
  if (has_past != ctx.has_input(5)) bad(node, "past_key and past_value must be given together");
  if (has_past) {
    if (ctx.input(4).rank() != 4 || ctx.input(5).rank() != 4) {
      bad(node, "past_key and past_value must be 4-D");
    }
    past_k = read_heads(ctx.input(4), 0, "past_key", node);
    past_v = read_heads(ctx.input(5), 0, "past_value", node);
  }
  const Heads k = concat_seq(has_past ? &past_k : nullptr, k_new, "past_key", node);
  const Heads v = concat_seq(has_past ? &past_v : nullptr, v_new, "past_value", node);
  // The new K and V agree (checked above); past_key and past_value must too (fuzz finding:
  // a shorter past_value made present_value read past its buffer).
  if (v.seq != k.seq) {
    bad(node, fmt::format("past_key has {} positions, past_value {}", past_k.seq, past_v.seq));
  }

  const int64_t batch = q.batch, hq = q.heads, sq = q.seq, total = k.seq, dv = v.size;
  const int64_t group = hq / k.heads;
  const float scale_attr = node.attr_float("scale", 0.0f);
  const double scale =
      node.has_attr("scale") ? scale_attr : 1.0 / std::sqrt(static_cast<double>(q.size));
  const double softcap = node.attr_float("softcap", 0.0f);
  // Which intermediate the optional 4th output holds: 0 the scaled QK^T, 1 after softcap,
  // 2 after adding the bias, 3 the softmax weights.
  const int64_t mode = node.attr_int("qk_matmul_output_mode", 0);
  if (mode < 0 || mode > 3) bad(node, fmt::format("qk_matmul_output_mode {} not in 0..3", mode));

  const std::vector<double> bias = build_bias(ctx, batch, hq, sq, total, past_k.seq);
  std::vector<double> qk_out(bias.size());
  std::vector<double> y(static_cast<size_t>(batch * hq * sq * dv), 0.0);
  std::vector<double> row(static_cast<size_t>(total));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t h = 0; h < hq; ++h) {
      const int64_t kh = h / group;  // each KV head serves `group` consecutive query heads
      for (int64_t i = 0; i < sq; ++i) {
        const size_t base = static_cast<size_t>(((b * hq + h) * sq + i) * total);
        bool all_masked = true;
        double row_max = kNegInf;
        for (int64_t j = 0; j < total; ++j) {
          double s = 0.0;
          for (int64_t d = 0; d < q.size; ++d) s += q.at(b, h, i, d) * k.at(b, kh, j, d);
          s *= scale;
          if (mode == 0) qk_out[base + j] = s;
          if (softcap > 0.0) s = softcap * std::tanh(s / softcap);
          if (mode == 1) qk_out[base + j] = s;
          const double bj = bias[base + j];
          if (bj != kNegInf) all_masked = false;
          s += bj;
          if (mode == 2) qk_out[base + j] = s;
          row[static_cast<size_t>(j)] = s;
          row_max = std::max(row_max, s);
        }
        // A query whose keys are all masked attends to nothing: zero weights, not NaN.
        double sum = 0.0;
        for (int64_t j = 0; j < total; ++j) {
          double& r = row[static_cast<size_t>(j)];
          r = all_masked ? 0.0 : std::exp(r - row_max);
          sum += r;
        }
        for (int64_t j = 0; j < total; ++j) {
          const double p = all_masked ? 0.0 : row[static_cast<size_t>(j)] / sum;
          if (mode == 3) qk_out[base + j] = p;
          if (p == 0.0) continue;
          for (int64_t d = 0; d < dv; ++d) {
            y[static_cast<size_t>(((b * hq + h) * sq + i) * dv + d)] += p * v.at(b, kh, j, d);
          }
        }
      }
    }
  }

  const DType dt = q_in.dtype();
  if (q_in.rank() == 4) {
    ctx.set_output(0, make_float_tensor(dt, {batch, hq, sq, dv}, y, node));
  } else {
    std::vector<double> y3(y.size());
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t h = 0; h < hq; ++h) {
        for (int64_t i = 0; i < sq; ++i) {
          for (int64_t d = 0; d < dv; ++d) {
            y3[static_cast<size_t>(((b * sq + i) * hq + h) * dv + d)] =
                y[static_cast<size_t>(((b * hq + h) * sq + i) * dv + d)];
          }
        }
      }
    }
    ctx.set_output(0, make_float_tensor(dt, {batch, sq, hq * dv}, y3, node));
  }
  if (ctx.has_output(1)) {
    ctx.set_output(1, make_float_tensor(k_in.dtype(), {batch, k.heads, total, k.size}, k.v, node));
  }
  if (ctx.has_output(2)) {
    ctx.set_output(2, make_float_tensor(v_in.dtype(), {batch, v.heads, total, dv}, v.v, node));
  }
  if (ctx.has_output(3)) {
    ctx.set_output(3, make_float_tensor(dt, {batch, hq, sq, total}, qk_out, node));
  }
}

}  // namespace

void register_attention(KernelRegistry& registry) {
  registry.add({"Attention", "", 23, 24, attention});
}

}  // namespace bog::runtime::ref
