// Index-driven writes: ScatterElements (and the deprecated Scatter) and ScatterND, with the
// reductions none/add/mul (opset 16) and max/min (opset 18). Updates are applied in index
// order, so with reduction "none" a repeated index keeps the last update.
#include <fmt/format.h>

#include <algorithm>

#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

Reduction reduction_attr(const Node& node) {
  const std::string r = node.attr_string("reduction", "none");
  if (r == "none") return Reduction::kNone;
  if (r == "add") return Reduction::kAdd;
  if (r == "mul") return Reduction::kMul;
  if (r == "max") return Reduction::kMax;
  if (r == "min") return Reduction::kMin;
  fail(node, fmt::format("unknown reduction '{}'", r));
}

template <class T>
T reduce(T a, T b, Reduction r) {
  switch (r) {
    case Reduction::kAdd:
      return static_cast<T>(a + b);
    case Reduction::kMul:
      return static_cast<T>(a * b);
    case Reduction::kMax:
      return std::max(a, b);
    case Reduction::kMin:
      return std::min(a, b);
    case Reduction::kNone:
      break;
  }
  return b;
}

// Writes updates[src] into out[dst], combining with the value there per the reduction.
class Writer {
 public:
  Writer(const Tensor& updates, Tensor& out, Reduction r, const Node& node)
      : updates_(updates), out_(out), copy_(updates, out), r_(r) {
    if (r_ == Reduction::kNone) return;
    switch (out.dtype()) {
      case DType::kFloat16:
      case DType::kBFloat16:
      case DType::kBool:
        return;
      default:
        dispatch_numeric(out.dtype(), node, [](auto) {});
    }
  }

  void operator()(int64_t dst, int64_t src) const {
    if (r_ == Reduction::kNone) {
      copy_(dst, src);
      return;
    }
    switch (out_.dtype()) {
      case DType::kFloat16:
      case DType::kBFloat16:
        set_element_from_double(out_, dst,
                                reduce(static_cast<float>(element_as_double(out_, dst)),
                                       static_cast<float>(element_as_double(updates_, src)), r_));
        return;
      case DType::kBool: {
        // add is logical or, mul logical and, as for numpy bools.
        bool& o = out_.data<bool>()[dst];
        const bool u = updates_.data<bool>()[src];
        o = (r_ == Reduction::kAdd || r_ == Reduction::kMax) ? (o || u) : (o && u);
        return;
      }
      default:
        dispatch_numeric(out_.dtype(), Node{}, [&](auto tag) {
          using T = decltype(tag);
          T& o = out_.data<T>()[dst];
          o = reduce<T>(o, updates_.data<T>()[src], r_);
        });
    }
  }

 private:
  const Tensor& updates_;
  Tensor& out_;
  ElementCopier copy_;
  Reduction r_;
};

void scatter_elements(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& data = ctx.input(0);
  const Tensor& indices_t = ctx.input(1);
  const Tensor& updates = ctx.input(2);
  const int64_t rank = data.rank();
  if (rank == 0 || indices_t.rank() != rank || updates.shape() != indices_t.shape()) {
    fail(node, fmt::format("data {}, indices {} and updates {} must have one rank >= 1 and "
                           "indices/updates one shape",
                           shape_to_string(data.shape()), shape_to_string(indices_t.shape()),
                           shape_to_string(updates.shape())));
  }
  if (updates.dtype() != data.dtype()) fail(node, "updates and data have different dtypes");
  int64_t axis = node.attr_int("axis", 0);
  if (axis < -rank || axis >= rank) {
    fail(node, fmt::format("axis {} out of range for rank {}", axis, rank));
  }
  if (axis < 0) axis += rank;
  const Reduction r = node.op_type == "Scatter" ? Reduction::kNone : reduction_attr(node);
  const std::vector<int64_t> indices = read_ints(indices_t, node, "indices");
  const std::vector<int64_t> strides = strides_of(data.shape());
  Tensor out = data.clone();
  const Writer write(updates, out, r, node);
  int64_t n = 0;
  for_each_index(indices_t.shape(), [&](const std::vector<int64_t>& idx) {
    int64_t dst = 0;
    for (size_t a = 0; a < idx.size(); ++a) {
      const int64_t dim = data.shape()[a];
      int64_t i = static_cast<int64_t>(a) == axis ? indices[static_cast<size_t>(n)] : idx[a];
      if (i < -dim || i >= dim) {
        fail(node, fmt::format("index {} out of range for a dim of size {}", i, dim));
      }
      if (i < 0) i += dim;
      dst += i * strides[a];
    }
    write(dst, n);
    ++n;
  });
  ctx.set_output(0, std::move(out));
}

void scatter_nd(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& data = ctx.input(0);
  const Tensor& indices_t = ctx.input(1);
  const Tensor& updates = ctx.input(2);
  const Shape& ds = data.shape();
  const Shape& is = indices_t.shape();
  if (is.empty()) fail(node, "indices must have rank >= 1");
  const int64_t k = is.back();
  if (k < 0 || k > data.rank()) {
    fail(node, fmt::format("indices last dim {} exceeds data rank {}", k, data.rank()));
  }
  Shape want(is.begin(), is.end() - 1);
  want.insert(want.end(), ds.begin() + k, ds.end());
  if (updates.shape() != want) {
    fail(node, fmt::format("updates shape {} should be {}", shape_to_string(updates.shape()),
                           shape_to_string(want)));
  }
  if (updates.dtype() != data.dtype()) fail(node, "updates and data have different dtypes");
  const Reduction r = reduction_attr(node);
  const std::vector<int64_t> indices = read_ints(indices_t, node, "indices");
  const std::vector<int64_t> strides = strides_of(ds);
  int64_t slice = 1;
  for (size_t a = static_cast<size_t>(k); a < ds.size(); ++a) slice *= ds[a];
  int64_t n_tuples = 1;
  for (size_t a = 0; a + 1 < is.size(); ++a) n_tuples *= is[a];
  Tensor out = data.clone();
  const Writer write(updates, out, r, node);
  for (int64_t t = 0; t < n_tuples; ++t) {
    int64_t dst = 0;
    for (int64_t j = 0; j < k; ++j) {
      const size_t a = static_cast<size_t>(j);
      int64_t i = indices[static_cast<size_t>(t * k + j)];
      if (i < -ds[a] || i >= ds[a]) {
        fail(node, fmt::format("index {} out of range for a dim of size {}", i, ds[a]));
      }
      if (i < 0) i += ds[a];
      dst += i * strides[a];
    }
    for (int64_t s = 0; s < slice; ++s) write(dst + s, t * slice + s);
  }
  ctx.set_output(0, std::move(out));
}

}  // namespace

void register_scatter_kernels(KernelRegistry& registry) {
  registry.add({"Scatter", "", 9, 12, scatter_elements});
  registry.add({"ScatterElements", "", 11, 1 << 20, scatter_elements});
  registry.add({"ScatterND", "", 11, 1 << 20, scatter_nd});
}

}  // namespace bog::runtime::ref
