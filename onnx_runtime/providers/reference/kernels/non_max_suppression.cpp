// NonMaxSuppression (opset 10+): per batch and class, greedily keeps the highest-scoring
// boxes whose IoU with every kept box is at most iou_threshold. Output [num_selected, 3] of
// (batch, class, box) in batch, class, then selection order.
#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/advanced_ops.h"
#include "onnx_runtime/providers/reference/kernels/float_io.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::ref {
namespace {

[[noreturn]] void bad(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("NonMaxSuppression node '{}': {}", node.name, what));
}

struct Box {
  double y1, x1, y2, x2;  // normalized so y1 <= y2, x1 <= x2
};

double iou(const Box& a, const Box& b) {
  const double ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  const double iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  if (ih <= 0.0 || iw <= 0.0) return 0.0;
  const double inter = ih * iw;
  const double uni = (a.y2 - a.y1) * (a.x2 - a.x1) + (b.y2 - b.y1) * (b.x2 - b.x1) - inter;
  return uni > 0.0 ? inter / uni : 0.0;
}

void non_max_suppression(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& boxes_t = ctx.input(0);
  const Tensor& scores_t = ctx.input(1);
  if (boxes_t.rank() != 3 || boxes_t.dim(2) != 4) {
    bad(node, fmt::format("boxes must be [B, N, 4], got {}", shape_to_string(boxes_t.shape())));
  }
  const int64_t batches = boxes_t.dim(0), n = boxes_t.dim(1);
  if (scores_t.rank() != 3 || scores_t.dim(0) != batches || scores_t.dim(2) != n) {
    bad(node, fmt::format("scores shape {} does not match boxes {}",
                          shape_to_string(scores_t.shape()), shape_to_string(boxes_t.shape())));
  }
  const int64_t classes = scores_t.dim(1);
  auto scalar = [&](size_t i, double fallback) {
    if (!ctx.has_input(i) || ctx.input(i).numel() == 0) return fallback;
    return read_numeric_as_doubles(ctx.input(i), node)[0];
  };
  const int64_t max_out = static_cast<int64_t>(scalar(2, 0.0));
  const double iou_threshold = scalar(3, 0.0);
  const bool has_score_threshold = ctx.has_input(4) && ctx.input(4).numel() > 0;
  const double score_threshold = scalar(4, 0.0);
  const bool center = node.attr_int("center_point_box", 0) != 0;

  const std::vector<double> bv = read_doubles(boxes_t, node);
  const std::vector<double> sv = read_doubles(scores_t, node);
  std::vector<Box> boxes(static_cast<size_t>(batches * n));
  for (size_t i = 0; i < boxes.size(); ++i) {
    const double* b = &bv[i * 4];
    if (center) {  // [x_center, y_center, width, height]
      boxes[i] = {b[1] - b[3] / 2, b[0] - b[2] / 2, b[1] + b[3] / 2, b[0] + b[2] / 2};
    } else {  // [y1, x1, y2, x2], either corner order
      boxes[i] = {std::min(b[0], b[2]), std::min(b[1], b[3]), std::max(b[0], b[2]),
                  std::max(b[1], b[3])};
    }
  }

  std::vector<int64_t> selected;
  for (int64_t b = 0; b < batches; ++b) {
    for (int64_t c = 0; c < classes; ++c) {
      const double* s = &sv[static_cast<size_t>((b * classes + c) * n)];
      std::vector<int64_t> order;
      for (int64_t i = 0; i < n; ++i) {
        if (!has_score_threshold || s[i] > score_threshold) order.push_back(i);
      }
      // Highest score first; equal scores keep box order.
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t l, int64_t r) { return s[l] > s[r]; });
      std::vector<int64_t> kept;
      for (const int64_t i : order) {
        if (static_cast<int64_t>(kept.size()) >= max_out) break;
        bool keep = true;
        for (const int64_t k : kept) {
          if (iou(boxes[static_cast<size_t>(b * n + i)], boxes[static_cast<size_t>(b * n + k)]) >
              iou_threshold) {
            keep = false;
            break;
          }
        }
        if (!keep) continue;
        kept.push_back(i);
        selected.insert(selected.end(), {b, c, i});
      }
    }
  }
  Tensor& y = ctx.allocate_output(0, DType::kInt64, {static_cast<int64_t>(selected.size() / 3), 3});
  std::copy(selected.begin(), selected.end(), y.data<int64_t>());
}

}  // namespace

void register_non_max_suppression(KernelRegistry& registry) {
  registry.add({"NonMaxSuppression", "", 10, 1 << 20, non_max_suppression});
}

}  // namespace bog::runtime::ref
