// Einsum: any equation numpy accepts with letters and one "..." per term; implicit output (no
// "->") is the ellipsis dims then the letters used once, in alphabetical order. Evaluated by
// visiting every combination of label values and summing products: slow, plainly correct.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"
#include "onnx_runtime/providers/reference/kernels/nn_util.h"

namespace bog::runtime::ref {
namespace {

// Labels are letters, or kEllipsisBase + i for the i-th (right-aligned) broadcast dim.
constexpr int kEllipsisBase = 1000;

struct Term {
  std::vector<int> labels;  // letters only, with kEllipsisMark where "..." stood
  bool has_ellipsis = false;
};
constexpr int kEllipsisMark = -1;

[[noreturn]] void bad_equation(const Node& node, const std::string& eq, const std::string& why) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("Einsum node '{}': equation '{}': {}", node.name, eq, why));
}

Term parse_term(const std::string& s, const Node& node, const std::string& eq) {
  Term t;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ' ') continue;
    if (c == '.') {
      if (s.compare(i, 3, "...") != 0 || t.has_ellipsis) bad_equation(node, eq, "bad ellipsis");
      t.has_ellipsis = true;
      t.labels.push_back(kEllipsisMark);
      i += 2;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      t.labels.push_back(c);
    } else {
      bad_equation(node, eq, fmt::format("unexpected character '{}'", c));
    }
  }
  return t;
}

// Replaces the ellipsis mark with the ellipsis labels covering `count` dims of `total`.
std::vector<int> expand(const Term& t, int64_t count, int64_t total) {
  std::vector<int> out;
  for (const int l : t.labels) {
    if (l != kEllipsisMark) {
      out.push_back(l);
      continue;
    }
    for (int64_t i = total - count; i < total; ++i)
      out.push_back(kEllipsisBase + static_cast<int>(i));
  }
  return out;
}

void compute_einsum(KernelContext& ctx) {
  const Node& node = ctx.node();
  const std::string eq = node.attr_string("equation", "");
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<Term> terms;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    terms.push_back(parse_term(lhs.substr(start, comma - start), node, eq));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != ctx.num_inputs()) bad_equation(node, eq, "term count differs from inputs");
  // Ellipsis dims of each input and the broadcast ellipsis rank.
  int64_t ell_rank = 0;
  std::vector<int64_t> ell_dims(terms.size(), 0);
  for (size_t i = 0; i < terms.size(); ++i) {
    const Tensor& t = ctx.input(i);
    if (!is_real_dtype(t.dtype()) && !is_integer_type(t.dtype()))
      unsupported_dtype(node, t.dtype());
    const int64_t letters =
        static_cast<int64_t>(terms[i].labels.size()) - (terms[i].has_ellipsis ? 1 : 0);
    ell_dims[i] = t.rank() - letters;
    if (ell_dims[i] < 0 || (!terms[i].has_ellipsis && ell_dims[i] != 0)) {
      bad_equation(node, eq, fmt::format("term {} does not match input rank {}", i, t.rank()));
    }
    ell_rank = std::max(ell_rank, ell_dims[i]);
  }
  std::map<int, int64_t> size_of;
  std::map<int, int> count_of;
  std::vector<std::vector<int>> in_labels;
  for (size_t i = 0; i < terms.size(); ++i) {
    in_labels.push_back(expand(terms[i], ell_dims[i], ell_rank));
    const Shape& shape = ctx.input(i).shape();
    for (size_t d = 0; d < shape.size(); ++d) {
      const int l = in_labels[i][d];
      ++count_of[l];
      auto [it, fresh] = size_of.emplace(l, shape[d]);
      if (fresh || it->second == shape[d]) continue;
      // Ellipsis dims broadcast; letters must agree.
      if (l >= kEllipsisBase && (it->second == 1 || shape[d] == 1)) {
        it->second = std::max(it->second, shape[d]);
        continue;
      }
      bad_equation(node, eq, fmt::format("label sizes {} and {} differ", it->second, shape[d]));
    }
  }
  std::vector<int> out_labels;
  if (arrow != std::string::npos) {
    const Term out = parse_term(eq.substr(arrow + 2), node, eq);
    out_labels = expand(out, ell_rank, ell_rank);
    for (const int l : out_labels) {
      if (l < kEllipsisBase && !size_of.count(l)) bad_equation(node, eq, "unknown output label");
    }
  } else {
    for (int64_t i = 0; i < ell_rank; ++i)
      out_labels.push_back(kEllipsisBase + static_cast<int>(i));
    for (const auto& [l, c] : count_of) {
      if (l < kEllipsisBase && c == 1) out_labels.push_back(l);
    }
  }
  for (int64_t i = 0; i < ell_rank; ++i) size_of.emplace(kEllipsisBase + static_cast<int>(i), 1);
  // Every label: output labels first, then the summed ones.
  std::vector<int> all = out_labels;
  for (const auto& [l, s] : size_of) {
    if (std::find(all.begin(), all.end(), l) == all.end()) all.push_back(l);
  }
  Shape all_sizes, out_shape;
  for (const int l : all) all_sizes.push_back(size_of[l]);
  for (const int l : out_labels) out_shape.push_back(size_of[l]);
  // For each input, the stride each label position contributes (0 for broadcast size-1 dims).
  std::vector<std::vector<int64_t>> in_strides;
  std::vector<std::vector<double>> in_values;
  for (size_t i = 0; i < terms.size(); ++i) {
    const Tensor& t = ctx.input(i);
    const std::vector<int64_t> st = strides_of(t.shape());
    std::vector<int64_t> per_label(all.size(), 0);
    for (size_t d = 0; d < in_labels[i].size(); ++d) {
      const size_t pos =
          static_cast<size_t>(std::find(all.begin(), all.end(), in_labels[i][d]) - all.begin());
      if (t.dim(static_cast<int64_t>(d)) != 1) per_label[pos] += st[d];
    }
    in_strides.push_back(per_label);
    in_values.push_back(to_doubles(t));
  }
  const std::vector<int64_t> out_st = strides_of(out_shape);
  std::vector<double> y(static_cast<size_t>(dims_product(out_shape, 0, out_shape.size())), 0.0);
  if (dims_product(all_sizes, 0, all_sizes.size()) > 0) {
    std::vector<int64_t> idx(all.size(), 0);
    do {
      double prod = 1;
      for (size_t i = 0; i < terms.size(); ++i) {
        int64_t off = 0;
        for (size_t a = 0; a < all.size(); ++a) off += idx[a] * in_strides[i][a];
        prod *= in_values[i][static_cast<size_t>(off)];
      }
      int64_t o = 0;
      for (size_t a = 0; a < out_labels.size(); ++a) o += idx[a] * out_st[a];
      y[static_cast<size_t>(o)] += prod;
    } while (next_index(idx, all_sizes));
  }
  store_doubles(y, ctx.allocate_output(0, ctx.input(0).dtype(), out_shape));
}

}  // namespace

void register_einsum_kernels(KernelRegistry& registry) {
  registry.add({"Einsum", "", 12, 1 << 20, compute_einsum});
}

}  // namespace bog::runtime::ref
