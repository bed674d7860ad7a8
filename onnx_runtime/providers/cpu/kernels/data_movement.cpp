// Data movement for the cpu provider, allocation-free: Gather (embedding rows, CLS pooling: one
// memcpy per index), Transpose (the innermost run that stays contiguous is copied whole),
// Cast int64/int32/bool -> float32, Concat (one memcpy per contiguous run), and zero-copy views
// for Reshape/Flatten/Squeeze/Unsqueeze/Identity (the reference kernels copy).
#include "onnx_runtime/providers/reference/kernels/data_movement.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/kernels/cpu_kernels.h"
#include "onnx_runtime/providers/cpu/thread_pool.h"

namespace bog::runtime::cpu {
namespace {

constexpr size_t kMaxRank = 8;

}  // namespace

KernelFn make_gather(KernelFn fallback) {
  return [fallback](KernelContext& ctx) {
    const Tensor& data = ctx.input(0);
    const Tensor& idx = ctx.input(1);
    const size_t rank = data.shape().size();
    int64_t axis = ctx.node().attr_int("axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(rank);
    const size_t out_rank = rank + idx.shape().size() - 1;
    if (rank < 1 || axis < 0 || axis >= static_cast<int64_t>(rank) ||
        data.dtype() == DType::kString ||
        (idx.dtype() != DType::kInt64 && idx.dtype() != DType::kInt32) || out_rank > kMaxRank) {
      return fallback(ctx);
    }
    const auto a = static_cast<size_t>(axis);
    int64_t shape[kMaxRank];
    std::copy(data.shape().begin(), data.shape().begin() + axis, shape);
    std::copy(idx.shape().begin(), idx.shape().end(), shape + a);
    std::copy(data.shape().begin() + axis + 1, data.shape().end(), shape + a + idx.shape().size());
    const int64_t rows = data.dim(axis);
    int64_t outer = 1, inner = 1;
    for (size_t i = 0; i < a; ++i) outer *= data.shape()[i];
    for (size_t i = a + 1; i < rank; ++i) inner *= data.shape()[i];
    const auto index = [&](int64_t i) {
      return idx.dtype() == DType::kInt64 ? idx.data<int64_t>()[i]
                                          : static_cast<int64_t>(idx.data<int32_t>()[i]);
    };
    // Validate every index before writing (a bad id is one clear error, not a wild read).
    for (int64_t i = 0; i < idx.numel(); ++i) {
      const int64_t j = index(i);
      if (j < -rows || j >= rows) {
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("Gather node '{}': index {} out of range [-{}, {})",
                                ctx.node().name, j, rows, rows));
      }
    }
    Tensor& out = ctx.output_uninit(0, data.dtype(), std::span<const int64_t>(shape, out_rank));
    if (out.numel() == 0) return;
    const size_t chunk = static_cast<size_t>(inner) * dtype_size(data.dtype());
    auto* dst = static_cast<std::byte*>(out.raw());
    const auto* src = static_cast<const std::byte*>(data.raw());
    const int64_t n = idx.numel();
    for (int64_t o = 0; o < outer; ++o) {
      const std::byte* block = src + static_cast<size_t>(o * rows) * chunk;
      for (int64_t i = 0; i < n; ++i) {
        int64_t j = index(i);
        if (j < 0) j += rows;
        std::memcpy(dst, block + static_cast<size_t>(j) * chunk, chunk);
        dst += chunk;
      }
    }
  };
}

KernelFn make_transpose(KernelFn fallback, std::shared_ptr<ThreadPool> pool) {
  return [fallback, pool](KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    const size_t rank = x.shape().size();
    if (rank > kMaxRank || x.dtype() == DType::kString || rank == 0) return fallback(ctx);
    int64_t perm[kMaxRank];
    const Attribute* p = ctx.node().attr("perm");
    if (p != nullptr) {
      if (p->ints.size() != rank) return fallback(ctx);
      bool seen[kMaxRank] = {};
      for (size_t i = 0; i < rank; ++i) {
        int64_t a = p->ints[i];
        if (a < 0) a += static_cast<int64_t>(rank);
        if (a < 0 || a >= static_cast<int64_t>(rank) || seen[a]) return fallback(ctx);
        seen[a] = true;
        perm[i] = a;
      }
    } else {
      for (size_t i = 0; i < rank; ++i) perm[i] = static_cast<int64_t>(rank - 1 - i);
    }
    int64_t shape[kMaxRank], in_strides[kMaxRank], strides[kMaxRank];
    int64_t acc = 1;
    for (size_t i = rank; i-- > 0;) {
      in_strides[i] = acc;
      acc *= x.shape()[i];
    }
    for (size_t i = 0; i < rank; ++i) {
      shape[i] = x.shape()[static_cast<size_t>(perm[i])];
      strides[i] = in_strides[static_cast<size_t>(perm[i])];
    }
    Tensor& out = ctx.output_uninit(0, x.dtype(), std::span<const int64_t>(shape, rank));
    if (out.numel() == 0) return;
    // The output's trailing axes that are also contiguous in the input form one run.
    size_t inner = rank;
    int64_t run = 1;
    while (inner > 0 && strides[inner - 1] == run) {
      --inner;
      run *= shape[inner];
    }
    const size_t esize = dtype_size(x.dtype());
    const auto* src = static_cast<const std::byte*>(x.raw());
    auto* dst = static_cast<std::byte*>(out.raw());
    const int64_t runs = out.numel() / run;
    const size_t run_bytes = static_cast<size_t>(run) * esize;
    // Runs [r_begin, r_end): the input offset of the first comes from its output index.
    const auto copy_runs = [&](int64_t r_begin, int64_t r_end) {
      int64_t idx[kMaxRank] = {};
      int64_t off = 0;
      int64_t rest = r_begin;
      for (size_t k = inner; k-- > 0;) {
        idx[k] = rest % shape[k];
        rest /= shape[k];
        off += idx[k] * strides[k];
      }
      for (int64_t r = r_begin; r < r_end; ++r) {
        std::memcpy(dst + static_cast<size_t>(r) * run_bytes,
                    src + static_cast<size_t>(off) * esize, run_bytes);
        for (size_t k = inner; k-- > 0;) {
          off += strides[k];
          if (++idx[k] < shape[k]) break;
          off -= strides[k] * shape[k];
          idx[k] = 0;
        }
      }
    };
    parallel_ranges(pool.get(), runs, std::max<int64_t>(1, kMinParallelFloats / run), copy_runs);
  };
}

KernelFn make_cast(KernelFn fallback) {
  return [fallback](KernelContext& ctx) {
    const Tensor& x = ctx.input(0);
    const int64_t to = ctx.node().attr_int("to", 0);
    if (to != 1 /* FLOAT */ || (x.dtype() != DType::kInt64 && x.dtype() != DType::kInt32 &&
                                x.dtype() != DType::kBool && x.dtype() != DType::kFloat32)) {
      return fallback(ctx);
    }
    Tensor& out = ctx.output_uninit(0, DType::kFloat32, x.shape());
    float* po = out.data<float>();
    const int64_t n = x.numel();
    switch (x.dtype()) {
      case DType::kInt64:
        for (int64_t i = 0; i < n; ++i) po[i] = static_cast<float>(x.data<int64_t>()[i]);
        break;
      case DType::kInt32:
        for (int64_t i = 0; i < n; ++i) po[i] = static_cast<float>(x.data<int32_t>()[i]);
        break;
      case DType::kBool:
        for (int64_t i = 0; i < n; ++i) po[i] = x.data<bool>()[i] ? 1.0f : 0.0f;
        break;
      default:
        if (n > 0) std::memcpy(po, x.raw(), x.nbytes());
        break;
    }
  };
}

KernelFn make_concat(KernelFn fallback) {
  return [fallback](KernelContext& ctx) {
    const size_t n_in = ctx.num_inputs();
    if (n_in == 0 || !ctx.has_input(0)) return fallback(ctx);
    const Tensor& first = ctx.input(0);
    const size_t rank = first.shape().size();
    if (rank == 0 || rank > kMaxRank || first.dtype() == DType::kString) return fallback(ctx);
    int64_t axis = ctx.node().attr_int("axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(rank);
    if (axis < 0 || axis >= static_cast<int64_t>(rank)) return fallback(ctx);
    int64_t shape[kMaxRank];
    std::copy(first.shape().begin(), first.shape().end(), shape);
    shape[axis] = 0;
    for (size_t i = 0; i < n_in; ++i) {
      if (!ctx.has_input(i)) return fallback(ctx);
      const Tensor& t = ctx.input(i);
      if (t.dtype() != first.dtype() || t.shape().size() != rank) return fallback(ctx);
      for (size_t a = 0; a < rank; ++a) {
        if (static_cast<int64_t>(a) != axis && t.shape()[a] != first.shape()[a]) {
          return fallback(ctx);  // reports the mismatch
        }
      }
      shape[axis] += t.shape()[static_cast<size_t>(axis)];
    }
    Tensor& out = ctx.output_uninit(0, first.dtype(), std::span<const int64_t>(shape, rank));
    if (out.numel() == 0) return;
    int64_t outer = 1, inner = 1;
    for (int64_t a = 0; a < axis; ++a) outer *= shape[a];
    for (size_t a = static_cast<size_t>(axis) + 1; a < rank; ++a) inner *= shape[a];
    const size_t esize = dtype_size(first.dtype());
    const size_t out_row = static_cast<size_t>(shape[axis] * inner) * esize;
    auto* dst = static_cast<std::byte*>(out.raw());
    size_t col = 0;
    for (size_t i = 0; i < n_in; ++i) {
      const Tensor& t = ctx.input(i);
      const size_t row = static_cast<size_t>(t.shape()[static_cast<size_t>(axis)] * inner) * esize;
      const auto* src = static_cast<const std::byte*>(t.raw());
      for (int64_t o = 0; o < outer && row > 0; ++o) {
        std::memcpy(dst + static_cast<size_t>(o) * out_row + col,
                    src + static_cast<size_t>(o) * row, row);
      }
      col += row;
    }
  };
}

// The reference kernel computes the shape (and checks it); the output then becomes a view of
// the input instead of a copy. Under a memory plan these nodes are not run at all.
KernelFn make_view(KernelFn reference) {
  return [reference](KernelContext& ctx) {
    const Value& in = ctx.input_value(0);
    if (!in.is_tensor() || in.tensor.dtype() == DType::kString) return reference(ctx);
    ref::SmallDims dims;
    if (!ref::view_dims(ctx, dims)) return reference(ctx);
    // The output slot keeps its shape's storage from run to run: a view allocates nothing.
    Value& out = ctx.output_value(0);
    if (out.kind != ValueKind::kTensor) out = Value();
    out.tensor.assign_view_of(in.tensor, dims.span());
  };
}

}  // namespace bog::runtime::cpu
