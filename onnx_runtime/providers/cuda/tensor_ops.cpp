// Data movement on the device: Gather, Transpose, Expand, Slice, Concat (strided copies) and the
// view ops Reshape, Flatten, Squeeze, Unsqueeze, Identity (no copy: same device buffer).
#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "common/error.h"
#include "onnx_runtime/providers/cuda/cuda_ops.h"

namespace bog::runtime::cuda {
namespace {

int elem_size(const Tensor& t, const Node& node) {
  const size_t s = t.dtype() == DType::kString ? 0 : dtype_size(t.dtype());
  if (s == 1 || s == 2 || s == 4 || s == 8) return static_cast<int>(s);
  throw Error(ErrorCategory::kUnsupported,
              fmt::format("cuda: {} node '{}': dtype {} cannot live on the device", node.op_type,
                          node.name, dtype_name(t.dtype())));
}

void set_view(KernelContext& k, const Tensor& x, Shape shape) { k.set_output(0, x.view(std::move(shape))); }

void compute_reshape(KernelContext& k, const OpEnv& env) {
  const Tensor& x = k.input(0);
  const bool allow_zero = k.node().attr_int("allowzero", 0) != 0;
  set_view(k, x, reshape_to(x.shape(), read_ints(k, env, 1), allow_zero, k.node()));
}

std::vector<int64_t> axes_of(const KernelContext& k, const OpEnv& env) {
  if (k.opset() >= 13) return k.has_input(1) ? read_ints(k, env, 1) : std::vector<int64_t>{};
  return k.node().attr_ints("axes");
}

void compute_squeeze(KernelContext& k, const OpEnv& env) {
  const Tensor& x = k.input(0);
  std::vector<int64_t> axes = axes_of(k, env);
  for (int64_t& a : axes) a = normalize_axis(a, x.rank(), k.node());
  Shape out;
  for (int64_t i = 0; i < x.rank(); ++i) {
    const bool listed = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (listed && x.dim(i) != 1) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("Squeeze node '{}': axis {} has size {}, not 1", k.node().name, i,
                              x.dim(i)));
    }
    if (listed || (axes.empty() && x.dim(i) == 1)) continue;
    out.push_back(x.dim(i));
  }
  set_view(k, x, std::move(out));
}

void compute_unsqueeze(KernelContext& k, const OpEnv& env) {
  const Tensor& x = k.input(0);
  std::vector<int64_t> axes = axes_of(k, env);
  const int64_t rank = x.rank() + static_cast<int64_t>(axes.size());
  for (int64_t& a : axes) a = normalize_axis(a, rank, k.node());
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("Unsqueeze node '{}': repeated axis", k.node().name));
  }
  Shape out;
  size_t next = 0;
  for (int64_t i = 0; i < rank; ++i) {
    if (std::binary_search(axes.begin(), axes.end(), i)) {
      out.push_back(1);
    } else {
      out.push_back(x.dim(static_cast<int64_t>(next++)));
    }
  }
  set_view(k, x, std::move(out));
}

void compute_flatten(KernelContext& k) {
  const Tensor& x = k.input(0);
  const int64_t axis = k.node().attr_int("axis", 1);
  const int64_t a = axis < 0 ? axis + x.rank() : axis;
  if (a < 0 || a > x.rank()) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("Flatten node '{}': axis {} out of range for rank {}", k.node().name,
                            axis, x.rank()));
  }
  set_view(k, x,
           {dims_product(x.shape(), 0, static_cast<size_t>(a)),
            dims_product(x.shape(), static_cast<size_t>(a), x.shape().size())});
}

void compute_transpose(KernelContext& k, const OpEnv& env) {
  const Node& node = k.node();
  const Tensor& x = k.input(0);
  require_rank(x.rank(), node);
  std::vector<int64_t> perm = node.attr_ints("perm");
  if (perm.empty()) {
    for (int64_t i = x.rank() - 1; i >= 0; --i) perm.push_back(i);
  }
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted.size() != static_cast<size_t>(x.rank()) || sorted[i] != static_cast<int64_t>(i)) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("Transpose node '{}': perm {} is not a permutation of rank {}",
                              node.name, shape_to_string(perm), x.rank()));
    }
  }
  const std::vector<int64_t> in_strides = strides_of(x.shape());
  Shape out(perm.size());
  StridedWalk w;
  w.rank = static_cast<int>(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    out[i] = x.dim(perm[i]);
    w.dims[i] = out[i];
    w.src_strides[i] = in_strides[static_cast<size_t>(perm[i])];
  }
  const std::vector<int64_t> out_strides = strides_of(out);
  std::copy(out_strides.begin(), out_strides.end(), w.dst_strides);
  Tensor& y = allocate_output(k, env, 0, x.dtype(), out);
  launch_strided_copy(x.raw(), y.raw(), elem_size(x, node), y.numel(), w, env.ctx->stream());
  check_launch("Transpose");
}

void compute_expand(KernelContext& k, const OpEnv& env) {
  const Node& node = k.node();
  const Tensor& x = k.input(0);
  const std::vector<int64_t> shape = read_ints(k, env, 1);
  const size_t rank = std::max(shape.size(), x.shape().size());
  require_rank(static_cast<int64_t>(rank), node);
  Shape out(rank);
  StridedWalk w;
  w.rank = static_cast<int>(rank);
  const std::vector<int64_t> xs = strides_of(x.shape());
  for (size_t i = 0; i < rank; ++i) {
    const size_t xo = rank - x.shape().size();
    const size_t so = rank - shape.size();
    const int64_t dx = i < xo ? 1 : x.shape()[i - xo];
    const int64_t ds = i < so ? 1 : shape[i - so];
    if (dx != ds && dx != 1 && ds != 1) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("Expand node '{}': {} cannot expand to {}", node.name,
                              shape_to_string(x.shape()), shape_to_string(shape)));
    }
    out[i] = dx == 1 ? ds : dx;
    w.dims[i] = out[i];
    w.src_strides[i] = i < xo || dx == 1 ? 0 : xs[i - xo];
  }
  const std::vector<int64_t> os = strides_of(out);
  std::copy(os.begin(), os.end(), w.dst_strides);
  Tensor& y = allocate_output(k, env, 0, x.dtype(), out);
  launch_strided_copy(x.raw(), y.raw(), elem_size(x, node), y.numel(), w, env.ctx->stream());
  check_launch("Expand");
}

void compute_slice(KernelContext& k, const OpEnv& env) {
  const Node& node = k.node();
  const Tensor& x = k.input(0);
  require_rank(x.rank(), node);
  const std::vector<int64_t> starts = read_ints(k, env, 1);
  const std::vector<int64_t> ends = read_ints(k, env, 2);
  std::vector<int64_t> axes;
  if (k.has_input(3)) {
    axes = read_ints(k, env, 3);
  } else {
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  const std::vector<int64_t> steps =
      k.has_input(4) ? read_ints(k, env, 4) : std::vector<int64_t>(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("Slice node '{}': starts, ends, axes and steps differ in length",
                            node.name));
  }
  const std::vector<int64_t> xs = strides_of(x.shape());
  Shape out = x.shape();
  StridedWalk w;
  w.rank = static_cast<int>(x.rank());
  for (int64_t i = 0; i < x.rank(); ++i) w.src_strides[i] = xs[static_cast<size_t>(i)];
  std::vector<bool> seen(static_cast<size_t>(x.rank()), false);
  for (size_t j = 0; j < starts.size(); ++j) {
    const int64_t a = normalize_axis(axes[j], x.rank(), node);
    if (seen[static_cast<size_t>(a)] || steps[j] == 0) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("Slice node '{}': repeated axis or zero step", node.name));
    }
    seen[static_cast<size_t>(a)] = true;
    const int64_t dim = x.dim(a);
    const int64_t step = steps[j];
    // ONNX clamping: starts to [0, dim] (or [0, dim-1] for negative steps), ends likewise.
    auto clamp = [dim](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0) v = v <= std::numeric_limits<int64_t>::min() + dim ? lo : v + dim;
      return std::clamp(v, lo, hi);
    };
    const int64_t start = step > 0 ? clamp(starts[j], 0, dim) : clamp(starts[j], 0, dim - 1);
    const int64_t end = step > 0 ? clamp(ends[j], 0, dim) : clamp(ends[j], -1, dim - 1);
    const int64_t count =
        step > 0 ? std::max<int64_t>(0, (end - start + step - 1) / step)
                 : std::max<int64_t>(0, (start - end + (-step) - 1) / (-step));
    out[static_cast<size_t>(a)] = count;
    w.src_offset += start * xs[static_cast<size_t>(a)];
    w.src_strides[a] = step * xs[static_cast<size_t>(a)];
  }
  for (int64_t i = 0; i < x.rank(); ++i) w.dims[i] = out[static_cast<size_t>(i)];
  const std::vector<int64_t> os = strides_of(out);
  std::copy(os.begin(), os.end(), w.dst_strides);
  Tensor& y = allocate_output(k, env, 0, x.dtype(), out);
  launch_strided_copy(x.raw(), y.raw(), elem_size(x, node), y.numel(), w, env.ctx->stream());
  check_launch("Slice");
}

void compute_concat(KernelContext& k, const OpEnv& env) {
  const Node& node = k.node();
  if (k.num_inputs() == 0) {
    throw Error(ErrorCategory::kInvalidModel, fmt::format("Concat node '{}': no inputs", node.name));
  }
  const Tensor& first = k.input(0);
  require_rank(first.rank(), node);
  const int64_t axis = normalize_axis(node.attr_int("axis", 0), first.rank(), node);
  Shape out = first.shape();
  out[static_cast<size_t>(axis)] = 0;
  for (size_t i = 0; i < k.num_inputs(); ++i) {
    const Tensor& t = k.input(i);
    bool ok = t.dtype() == first.dtype() && t.rank() == first.rank();
    for (int64_t d = 0; ok && d < t.rank(); ++d) ok = d == axis || t.dim(d) == first.dim(d);
    if (!ok) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("Concat node '{}': input {} {} {} does not match input 0 {} {}",
                              node.name, i, dtype_name(t.dtype()), shape_to_string(t.shape()),
                              dtype_name(first.dtype()), shape_to_string(first.shape())));
    }
    out[static_cast<size_t>(axis)] += t.dim(axis);
  }
  Tensor& y = allocate_output(k, env, 0, first.dtype(), out);
  const std::vector<int64_t> os = strides_of(out);
  int64_t offset = 0;
  for (size_t i = 0; i < k.num_inputs(); ++i) {
    const Tensor& t = k.input(i);
    StridedWalk w;
    w.rank = static_cast<int>(t.rank());
    const std::vector<int64_t> ts = strides_of(t.shape());
    for (int64_t d = 0; d < t.rank(); ++d) {
      w.dims[d] = t.dim(d);
      w.src_strides[d] = ts[static_cast<size_t>(d)];
      w.dst_strides[d] = os[static_cast<size_t>(d)];
    }
    w.dst_offset = offset * os[static_cast<size_t>(axis)];
    launch_strided_copy(t.raw(), y.raw(), elem_size(t, node), t.numel(), w, env.ctx->stream());
    check_launch("Concat");
    offset += t.dim(axis);
  }
}

void compute_gather(KernelContext& k, const OpEnv& env) {
  const Node& node = k.node();
  const Tensor& data = k.input(0);
  const Tensor& indices = k.input(1);
  const int64_t axis = normalize_axis(node.attr_int("axis", 0), data.rank(), node);
  if (indices.dtype() != DType::kInt64 && indices.dtype() != DType::kInt32) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("Gather node '{}': indices must be int64 or int32, got {}",
                            node.name, dtype_name(indices.dtype())));
  }
  Shape out(data.shape().begin(), data.shape().begin() + axis);
  out.insert(out.end(), indices.shape().begin(), indices.shape().end());
  out.insert(out.end(), data.shape().begin() + axis + 1, data.shape().end());
  const int size = elem_size(data, node);
  Tensor& y = allocate_output(k, env, 0, data.dtype(), out);
  Tensor wide;
  const int64_t* idx = nullptr;
  if (indices.dtype() == DType::kInt32) {
    wide = env.ctx->allocate(DType::kInt64, indices.shape());
    launch_widen_indices(indices.data<int32_t>(), wide.data<int64_t>(), indices.numel(),
                         env.ctx->stream());
    check_launch("Gather indices");
    idx = wide.data<int64_t>();
  } else {
    idx = indices.data<int64_t>();
  }
  Tensor flag = make_flag(env);
  launch_gather(data.raw(), idx, y.raw(), size, dims_product(data.shape(), 0, static_cast<size_t>(axis)),
                data.dim(axis),
                dims_product(data.shape(), static_cast<size_t>(axis) + 1, data.shape().size()),
                indices.numel(), flag.data<int>(),
                env.ctx->stream());
  check_launch("Gather");
  check_flag(env, flag, node, "an index is out of range");
}

}  // namespace

Shape reshape_to(const Shape& from, const std::vector<int64_t>& spec, bool allow_zero,
                 const Node& node) {
  const int64_t numel = dims_product(from, 0, from.size());
  Shape out(spec.size());
  int64_t known = 1;
  int infer = -1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == 0 && !allow_zero) {
      if (i >= from.size()) {
        throw Error(ErrorCategory::kInvalidModel,
                    fmt::format("{} node '{}': 0 at position {} but input has rank {}",
                                node.op_type, node.name, i, from.size()));
      }
      d = from[i];
    }
    if (d == -1) {
      if (infer >= 0) {
        throw Error(
            ErrorCategory::kInvalidModel,
            fmt::format("{} node '{}': more than one -1 in the shape", node.op_type, node.name));
      }
      infer = static_cast<int>(i);
      continue;
    }
    if (d < 0) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("{} node '{}': invalid dimension {}", node.op_type, node.name, d));
    }
    out[i] = d;
    known *= d;
  }
  if (infer >= 0) {
    if (known == 0 || numel % known != 0) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("{} node '{}': cannot infer -1 for {} elements into {}", node.op_type,
                              node.name, numel, shape_to_string(spec)));
    }
    out[static_cast<size_t>(infer)] = numel / known;
  }
  if (dims_product(out, 0, out.size()) != numel) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': cannot reshape {} into {}", node.op_type, node.name,
                            shape_to_string(from), shape_to_string(spec)));
  }
  return out;
}

void register_tensor_ops(KernelRegistry& r, const OpEnv* env) {
  r.add({"Reshape", "", 5, 1 << 20, [env](KernelContext& k) { compute_reshape(k, *env); }});
  r.add({"Squeeze", "", 1, 1 << 20, [env](KernelContext& k) { compute_squeeze(k, *env); }});
  r.add({"Unsqueeze", "", 1, 1 << 20, [env](KernelContext& k) { compute_unsqueeze(k, *env); }});
  r.add({"Flatten", "", 1, 1 << 20, [](KernelContext& k) { compute_flatten(k); }});
  r.add({"Identity", "", 1, 1 << 20,
         [](KernelContext& k) { set_view(k, k.input(0), k.input(0).shape()); }});
  r.add({"Transpose", "", 1, 1 << 20, [env](KernelContext& k) { compute_transpose(k, *env); }});
  r.add({"Expand", "", 8, 1 << 20, [env](KernelContext& k) { compute_expand(k, *env); }});
  r.add({"Slice", "", 10, 1 << 20, [env](KernelContext& k) { compute_slice(k, *env); }});
  r.add({"Concat", "", 4, 1 << 20, [env](KernelContext& k) { compute_concat(k, *env); }});
  r.add({"Gather", "", 1, 1 << 20, [env](KernelContext& k) { compute_gather(k, *env); }});
}

}  // namespace bog::runtime::cuda
