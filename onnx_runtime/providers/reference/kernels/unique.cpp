// Unique: distinct elements (or slices along `axis`) with first-occurrence indices, inverse
// indices and counts. sorted=1 orders them ascending (slices lexicographically), sorted=0
// keeps the order of first occurrence.
#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

void unique(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const bool sorted = node.attr_int("sorted", 1) != 0;
  const bool flat = !node.has_attr("axis");
  const Shape shape = flat ? Shape{in.numel()} : in.shape();
  int64_t axis = 0;
  if (!flat) {
    const int64_t rank = in.rank();
    axis = node.attr_int("axis", 0);
    if (axis < -rank || axis >= rank) {
      fail(node, fmt::format("axis {} out of range for rank {}", axis, rank));
    }
    if (axis < 0) axis += rank;
  }
  const size_t ax = static_cast<size_t>(axis);
  const int64_t dim = shape[ax];
  int64_t outer = 1;
  for (size_t a = 0; a < ax; ++a) outer *= shape[a];
  int64_t inner = 1;
  for (size_t a = ax + 1; a < shape.size(); ++a) inner *= shape[a];
  // Slice x is the elements (o, x, s) for all o, s, compared in that order.
  auto compare_slices = [&](int64_t x, int64_t y) {
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t s = 0; s < inner; ++s) {
        const int c =
            compare_elements(in, (o * dim + x) * inner + s, in, (o * dim + y) * inner + s);
        if (c != 0) return c;
      }
    }
    return 0;
  };
  std::vector<int64_t> order(static_cast<size_t>(dim));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t x, int64_t y) { return compare_slices(x, y) < 0; });
  // Groups of equal slices; the stable sort puts each group's first occurrence first.
  std::vector<int64_t> firsts;
  std::vector<int64_t> counts;
  std::vector<int64_t> group_of(static_cast<size_t>(dim));
  for (size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || compare_slices(order[i - 1], order[i]) != 0) {
      firsts.push_back(order[i]);
      counts.push_back(0);
    }
    ++counts.back();
    group_of[static_cast<size_t>(order[i])] = static_cast<int64_t>(firsts.size()) - 1;
  }
  const int64_t u = static_cast<int64_t>(firsts.size());
  std::vector<int64_t> rank_of(static_cast<size_t>(u));  // group -> output position
  std::iota(rank_of.begin(), rank_of.end(), 0);
  if (!sorted) {
    std::vector<int64_t> by_first(static_cast<size_t>(u));
    std::iota(by_first.begin(), by_first.end(), 0);
    std::sort(by_first.begin(), by_first.end(), [&](int64_t a, int64_t b) {
      return firsts[static_cast<size_t>(a)] < firsts[static_cast<size_t>(b)];
    });
    for (int64_t p = 0; p < u; ++p)
      rank_of[static_cast<size_t>(by_first[static_cast<size_t>(p)])] = p;
  }
  std::vector<int64_t> pos_first(static_cast<size_t>(u));
  std::vector<int64_t> pos_count(static_cast<size_t>(u));
  for (int64_t g = 0; g < u; ++g) {
    pos_first[static_cast<size_t>(rank_of[static_cast<size_t>(g)])] =
        firsts[static_cast<size_t>(g)];
    pos_count[static_cast<size_t>(rank_of[static_cast<size_t>(g)])] =
        counts[static_cast<size_t>(g)];
  }
  Shape y_shape = shape;
  y_shape[ax] = u;
  std::vector<int64_t> map;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t p = 0; p < u; ++p) {
      for (int64_t s = 0; s < inner; ++s) {
        map.push_back((o * dim + pos_first[static_cast<size_t>(p)]) * inner + s);
      }
    }
  }
  ctx.set_output(0, gather_by_map(in, std::move(y_shape), map));
  auto int_output = [&](size_t i, const std::vector<int64_t>& v) {
    if (i < ctx.num_outputs()) {
      ctx.set_output(i, Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v));
    }
  };
  std::vector<int64_t> inverse(static_cast<size_t>(dim));
  for (int64_t x = 0; x < dim; ++x) {
    inverse[static_cast<size_t>(x)] =
        rank_of[static_cast<size_t>(group_of[static_cast<size_t>(x)])];
  }
  int_output(1, pos_first);
  int_output(2, inverse);
  int_output(3, pos_count);
}

}  // namespace

void register_unique_kernels(KernelRegistry& registry) {
  registry.add({"Unique", "", 11, 1 << 20, unique});
}

}  // namespace bog::runtime::ref
