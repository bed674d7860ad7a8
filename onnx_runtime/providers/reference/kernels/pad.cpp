// Pad (modes constant/reflect/edge, wrap from opset 19; attributes before opset 11, inputs
// from 11, axes from 18) and CenterCropPad. Each output coordinate maps back to an input
// coordinate per axis; a negative pad crops.
#include <fmt/format.h>

#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

// Input coordinate for coordinate c (relative to the input's start) on an axis of size d,
// or -1 for "use the constant".
int64_t source_coord(int64_t c, int64_t d, PadMode mode) {
  if (c >= 0 && c < d) return c;
  switch (mode) {
    case PadMode::kConstant:
      return -1;
    case PadMode::kEdge:
      return c < 0 ? 0 : d - 1;
    case PadMode::kWrap:
      return ((c % d) + d) % d;
    case PadMode::kReflect: {
      if (d == 1) return 0;
      // Reflection without repeating the edge has period 2 * (d - 1).
      const int64_t period = 2 * (d - 1);
      int64_t m = ((c % period) + period) % period;
      return m < d ? m : period - m;
    }
  }
  return -1;
}

// Output shape and per-axis begin offsets from `begin`/`end` pads; fills the map.
Tensor pad_tensor(const Tensor& in, const std::vector<int64_t>& begin,
                  const std::vector<int64_t>& end, PadMode mode, const Tensor* fill,
                  const Node& node) {
  const size_t rank = static_cast<size_t>(in.rank());
  Shape out_shape(rank);
  for (size_t a = 0; a < rank; ++a) {
    out_shape[a] = in.shape()[a] + begin[a] + end[a];
    if (out_shape[a] < 0) {
      fail(node, fmt::format("pads crop axis {} of size {} below zero", a, in.shape()[a]));
    }
    if (mode != PadMode::kConstant && in.shape()[a] == 0 && out_shape[a] > 0) {
      fail(node, fmt::format("cannot pad the empty axis {} in this mode", a));
    }
  }
  const std::vector<int64_t> strides = strides_of(in.shape());
  std::vector<int64_t> map;
  for_each_index(out_shape, [&](const std::vector<int64_t>& idx) {
    int64_t src = 0;
    for (size_t a = 0; a < rank; ++a) {
      const int64_t c = source_coord(idx[a] - begin[a], in.shape()[a], mode);
      if (c < 0) {
        src = -1;
        break;
      }
      src += c * strides[a];
    }
    map.push_back(src);
  });
  return gather_by_map(in, std::move(out_shape), map, fill);
}

PadMode mode_attr(const Node& node, int opset) {
  const std::string m = node.attr_string("mode", "constant");
  if (m == "constant") return PadMode::kConstant;
  if (m == "reflect") return PadMode::kReflect;
  if (m == "edge") return PadMode::kEdge;
  if (m == "wrap" && opset >= 19) return PadMode::kWrap;
  fail(node, fmt::format("unknown mode '{}'", m));
}

void pad(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const int64_t rank = in.rank();
  const PadMode mode = mode_attr(node, ctx.opset());
  std::vector<int64_t> pads;
  std::vector<int64_t> axes;
  Tensor fill;
  if (ctx.opset() < 11) {
    pads = node.attr_ints("pads");
    if (in.dtype() != DType::kString) {
      fill = Tensor(in.dtype(), {});
      set_element_from_double(fill, 0, node.attr_float("value", 0.0f));
    }
  } else {
    pads = read_ints(ctx.input(1), node, "pads");
    if (ctx.has_input(2) && ctx.input(2).numel() > 0) {
      const Tensor& v = ctx.input(2);
      if (v.dtype() != in.dtype()) fail(node, "constant_value dtype differs from data");
      fill = v.view({});
      if (v.numel() != 1) fail(node, "constant_value must hold one value");
    }
    if (ctx.opset() >= 18 && ctx.has_input(3)) axes = read_ints(ctx.input(3), node, "axes");
  }
  if (axes.empty()) {
    for (int64_t a = 0; a < rank; ++a) axes.push_back(a);
  }
  if (pads.size() != 2 * axes.size()) {
    fail(node, fmt::format("pads has {} entries, expected {}", pads.size(), 2 * axes.size()));
  }
  std::vector<int64_t> begin(static_cast<size_t>(rank), 0);
  std::vector<int64_t> end(static_cast<size_t>(rank), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = axes[i];
    if (a < -rank || a >= rank)
      fail(node, fmt::format("axis {} out of range for rank {}", a, rank));
    if (a < 0) a += rank;
    begin[static_cast<size_t>(a)] = pads[i];
    end[static_cast<size_t>(a)] = pads[i + axes.size()];
  }
  ctx.set_output(0, pad_tensor(in, begin, end, mode, fill.defined() ? &fill : nullptr, node));
}

// Crops (centred, extra element at the end) or zero-pads (centred, extra at the end) each
// listed axis to the requested size.
void center_crop_pad(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const int64_t rank = in.rank();
  const std::vector<int64_t> sizes = read_ints(ctx.input(1), node, "shape");
  std::vector<int64_t> axes = node.attr_ints("axes");
  if (!node.has_attr("axes")) {
    for (int64_t a = 0; a < rank; ++a) axes.push_back(a);
  }
  if (sizes.size() != axes.size()) {
    fail(node, fmt::format("shape has {} entries for {} axes", sizes.size(), axes.size()));
  }
  std::vector<int64_t> begin(static_cast<size_t>(rank), 0);
  std::vector<int64_t> end(static_cast<size_t>(rank), 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = axes[i];
    if (a < -rank || a >= rank)
      fail(node, fmt::format("axis {} out of range for rank {}", a, rank));
    if (a < 0) a += rank;
    if (sizes[i] < 0) fail(node, fmt::format("negative target size {}", sizes[i]));
    const size_t ax = static_cast<size_t>(a);
    const int64_t diff = sizes[i] - in.shape()[ax];
    // Pad: floor(diff / 2) before; crop: floor(-diff / 2) removed before.
    begin[ax] = diff >= 0 ? diff / 2 : -((-diff) / 2);
    end[ax] = diff - begin[ax];
  }
  ctx.set_output(0, pad_tensor(in, begin, end, PadMode::kConstant, nullptr, node));
}

}  // namespace

void register_pad_kernels(KernelRegistry& registry) {
  registry.add({"Pad", "", 2, 1 << 20, pad});
  registry.add({"CenterCropPad", "", 18, 1 << 20, center_crop_pad});
}

}  // namespace bog::runtime::ref
