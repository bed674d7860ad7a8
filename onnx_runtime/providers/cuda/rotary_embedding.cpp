// ONNX RotaryEmbedding (opset 23): X as [batch, heads, seq, head] or [batch, seq, hidden] (with
// num_heads); caches [max_pos, rot/2] indexed by position_ids, or [batch, seq, rot/2] without.
#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/providers/cuda/cuda_ops.h"

namespace bog::runtime::cuda {
namespace {

[[noreturn]] void bad(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("RotaryEmbedding node '{}': {}", node.name, what));
}

void compute_rotary(KernelContext& k, const OpEnv& env) {
  const Node& node = k.node();
  const Tensor& x = k.input(0);
  const Tensor& cos = k.input(1);
  const Tensor& sin = k.input(2);
  require_float(x, node, 0);
  require_float(cos, node, 1);
  require_float(sin, node, 2);
  RotaryShape r;
  r.interleaved = node.attr_int("interleaved", 0) != 0;
  if (x.rank() == 4) {
    r.batch = x.dim(0);
    r.heads = x.dim(1);
    r.seq = x.dim(2);
    r.head = x.dim(3);
    r.stride_h = r.seq * r.head;
    r.stride_s = r.head;
  } else if (x.rank() == 3) {
    const int64_t heads = node.attr_int("num_heads", 0);
    if (heads <= 0 || x.dim(2) % heads != 0) {
      bad(node, fmt::format("3-D input {} needs num_heads dividing its last dim",
                            shape_to_string(x.shape())));
    }
    r.batch = x.dim(0);
    r.seq = x.dim(1);
    r.heads = heads;
    r.head = x.dim(2) / heads;
    r.stride_s = x.dim(2);
    r.stride_h = r.head;
  } else {
    bad(node, fmt::format("input must be 3-D or 4-D, got {}", shape_to_string(x.shape())));
  }
  r.stride_b = r.seq * r.heads * r.head;
  r.rot = node.attr_int("rotary_embedding_dim", 0);
  if (r.rot == 0) r.rot = r.head;
  if (r.rot < 0 || r.rot > r.head || r.rot % 2 != 0) {
    bad(node, fmt::format("rotary_embedding_dim {} must be even and at most the head size {}",
                          r.rot, r.head));
  }
  const bool has_pos = k.has_input(3);
  const int64_t half = r.rot / 2;
  if (cos.shape() != sin.shape() || cos.rank() < 2 || cos.shape().back() != half) {
    bad(node, fmt::format("cos/sin caches {} and {} must end in rot/2 = {}",
                          shape_to_string(cos.shape()), shape_to_string(sin.shape()), half));
  }
  const int64_t* pos = nullptr;
  if (has_pos) {
    const Tensor& p = k.input(3);
    if (p.dtype() != DType::kInt64 || p.rank() != 2 || p.dim(0) != r.batch || p.dim(1) != r.seq ||
        cos.rank() != 2) {
      bad(node, fmt::format("position_ids must be int64 [batch, seq] with 2-D caches, got {} {}",
                            dtype_name(p.dtype()), shape_to_string(p.shape())));
    }
    r.max_pos = cos.dim(0);
    pos = p.data<int64_t>();
  } else if (cos.rank() != 3 || cos.dim(0) != r.batch || cos.dim(1) != r.seq) {
    bad(node, fmt::format("without position_ids the caches must be [batch, seq, rot/2], got {}",
                          shape_to_string(cos.shape())));
  }
  Tensor& y = allocate_output(k, env, 0, DType::kFloat32, x.shape());
  Tensor flag = make_flag(env);
  launch_rotary(x.data<float>(), cos.data<float>(), sin.data<float>(), pos, y.data<float>(), r,
                flag.data<int>(), env.ctx->stream());
  check_launch("RotaryEmbedding");
  if (has_pos) check_flag(env, flag, node, "a position id is outside the cos/sin caches");
}

}  // namespace

void register_rotary_ops(KernelRegistry& r, const OpEnv* env) {
  r.add({"RotaryEmbedding", "", 23, 1 << 20, [env](KernelContext& k) { compute_rotary(k, *env); }});
}

}  // namespace bog::runtime::cuda
