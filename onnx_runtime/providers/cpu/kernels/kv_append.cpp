// KvAppend (domain bog.cpu; fuse_kv_append.cpp makes it of a decoder's Concat(past, new, axis 2)):
//   inputs  past [B, Hkv, P, D] — a view of the caller's cache buffer, rows `capacity` apart
//           new  [B, Hkv, S, D] — this step's keys or values, contiguous
//   output  present [B, Hkv, P + S, D] — the same buffer, the new rows written at P
// Only the S new rows per (batch, head) are copied; the output is a view, nothing is allocated.
#include <fmt/format.h>

#include <cstring>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"

namespace bog::runtime::cpu {

KernelFn make_kv_append(std::shared_ptr<KvCacheState> state) {
  return [state](KernelContext& ctx) {
    const Node& n = ctx.node();
    const Tensor& past = ctx.input(0);
    const Tensor& fresh = ctx.input(1);
    if (past.dtype() != DType::kFloat32 || fresh.dtype() != DType::kFloat32 || past.rank() != 4 ||
        fresh.rank() != 4 || past.dim(0) != fresh.dim(0) || past.dim(1) != fresh.dim(1) ||
        past.dim(3) != fresh.dim(3)) {
      throw Error(
          ErrorCategory::kInvalidArgument,
          fmt::format("KvAppend '{}': past {} and new {} are not [B, Hkv, T, D] float32 "
                      "with the same B, Hkv, D",
                      n.name, shape_to_string(past.shape()), shape_to_string(fresh.shape())));
    }
    const int64_t b = past.dim(0), h = past.dim(1), p = past.dim(2), s = fresh.dim(2),
                  d = past.dim(3);
    const int64_t cap = state->capacity.load(std::memory_order_relaxed);
    if (p + s > cap) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("KvAppend '{}': {} cached + {} new rows exceed the cache's {} rows",
                              n.name, p, s, cap));
    }
    auto* base = const_cast<float*>(past.data<float>());
    if (base == nullptr && b * h * d > 0)
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("KvAppend '{}': the past is not bound to a cache buffer", n.name));
    const size_t row_bytes = static_cast<size_t>(s * d) * sizeof(float);
    for (int64_t bh = 0; bh < b * h; ++bh) {
      std::memcpy(base + (bh * cap + p) * d, fresh.data<float>() + bh * s * d, row_bytes);
    }
    state->bytes_copied.fetch_add(static_cast<int64_t>(row_bytes) * b * h,
                                  std::memory_order_relaxed);
    const int64_t shape[4] = {b, h, p + s, d};
    Value& out = ctx.output_value(0);
    if (out.kind != ValueKind::kTensor) out = Value();
    // A view of the cache buffer behind input 0 (P + S rows of it).
    out.tensor.assign_borrow(DType::kFloat32, shape, base);
  };
}

}  // namespace bog::runtime::cpu
