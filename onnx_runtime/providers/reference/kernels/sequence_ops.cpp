// Sequence ops: SequenceEmpty/Construct/Insert/Erase/At/Length, SplitToSequence and
// ConcatFromSequence. Tensors are immutable once produced, so sequences share element storage
// through views instead of copying.
#include <fmt/format.h>

#include "onnx_runtime/providers/reference/kernels/control_flow_kernels.h"

namespace bog::runtime::ref {
namespace {

Tensor share(const Tensor& t) { return t.view(t.shape()); }

const Value& sequence_input(const KernelContext& ctx, size_t i) {
  const Value& v = ctx.input_value(i);
  if (v.kind != ValueKind::kSequence) {
    cf::fail(ctx.node(), fmt::format("input {} must be a sequence", i));
  }
  return v;
}

Value copy_sequence(const Value& seq) {
  std::vector<Tensor> items;
  items.reserve(seq.sequence.size());
  for (const Tensor& t : seq.sequence) items.push_back(share(t));
  return Value::from_sequence(std::move(items), seq.sequence_dtype);
}

// Position in [-n, n - 1] (or [-n, n] when `allow_end`), made non-negative.
int64_t position(const KernelContext& ctx, size_t input, int64_t n, bool allow_end) {
  const int64_t p = cf::read_int_scalar(ctx.input(input), ctx.node(), "position");
  const int64_t hi = allow_end ? n : n - 1;
  if (p < -n || p > hi) {
    cf::fail(ctx.node(), fmt::format("position {} out of range for a sequence of {}", p, n));
  }
  return p < 0 ? p + n : p;
}

void sequence_empty(KernelContext& ctx) {
  const auto dtype = static_cast<int32_t>(ctx.node().attr_int("dtype", 1));
  if (!is_known_dtype(dtype)) cf::fail(ctx.node(), fmt::format("unknown dtype {}", dtype));
  ctx.set_output_value(0, Value::from_sequence({}, static_cast<DType>(dtype)));
}

void sequence_construct(KernelContext& ctx) {
  std::vector<Tensor> items;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor& t = ctx.input(i);
    if (!items.empty() && t.dtype() != items[0].dtype()) {
      cf::fail(ctx.node(), "all inputs must have the same dtype");
    }
    items.push_back(share(t));
  }
  if (items.empty()) cf::fail(ctx.node(), "needs at least one input");
  const DType dtype = items[0].dtype();
  ctx.set_output_value(0, Value::from_sequence(std::move(items), dtype));
}

void sequence_insert(KernelContext& ctx) {
  Value out = copy_sequence(sequence_input(ctx, 0));
  const Tensor& t = ctx.input(1);
  if (out.sequence_dtype != DType::kUndefined && t.dtype() != out.sequence_dtype) {
    cf::fail(ctx.node(), fmt::format("cannot insert {} into a sequence of {}",
                                     dtype_name(t.dtype()), dtype_name(out.sequence_dtype)));
  }
  const auto n = static_cast<int64_t>(out.sequence.size());
  const int64_t at = ctx.has_input(2) ? position(ctx, 2, n, true) : n;
  out.sequence.insert(out.sequence.begin() + at, share(t));
  out.sequence_dtype = t.dtype();
  ctx.set_output_value(0, std::move(out));
}

void sequence_erase(KernelContext& ctx) {
  Value out = copy_sequence(sequence_input(ctx, 0));
  const auto n = static_cast<int64_t>(out.sequence.size());
  if (n == 0) cf::fail(ctx.node(), "cannot erase from an empty sequence");
  const int64_t at = ctx.has_input(1) ? position(ctx, 1, n, false) : n - 1;
  out.sequence.erase(out.sequence.begin() + at);
  ctx.set_output_value(0, std::move(out));
}

void sequence_at(KernelContext& ctx) {
  const Value& seq = sequence_input(ctx, 0);
  const int64_t at = position(ctx, 1, static_cast<int64_t>(seq.sequence.size()), false);
  ctx.set_output(0, share(seq.sequence[static_cast<size_t>(at)]));
}

void sequence_length(KernelContext& ctx) {
  const Value& seq = sequence_input(ctx, 0);
  ctx.set_output(0, Tensor::from_vector<int64_t>({}, {static_cast<int64_t>(seq.sequence.size())}));
}

void split_to_sequence(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& input = ctx.input(0);
  if (input.rank() == 0) cf::fail(node, "input must have rank >= 1");
  int64_t axis = node.attr_int("axis", 0);
  if (axis < -input.rank() || axis >= input.rank()) {
    cf::fail(node, fmt::format("axis {} out of range for rank {}", axis, input.rank()));
  }
  if (axis < 0) axis += input.rank();
  const int64_t dim = input.dim(axis);
  std::vector<Tensor> items;
  if (!ctx.has_input(1)) {
    const bool keepdims = node.attr_int("keepdims", 1) != 0;
    for (int64_t i = 0; i < dim; ++i) {
      items.push_back(keepdims ? cf::take_range(input, axis, i, 1)
                               : cf::take_slice(input, axis, i));
    }
  } else {
    const Tensor& split = ctx.input(1);
    std::vector<int64_t> sizes;
    if (split.rank() == 0) {
      const int64_t chunk = cf::read_int_scalar(split, node, "split");
      if (chunk <= 0) cf::fail(node, fmt::format("split size {} must be positive", chunk));
      for (int64_t at = 0; at < dim; at += chunk) sizes.push_back(std::min(chunk, dim - at));
    } else {
      for (int64_t i = 0; i < split.numel(); ++i) {
        sizes.push_back(split.dtype() == DType::kInt32 ? split.data<int32_t>()[i]
                                                       : split.data<int64_t>()[i]);
      }
    }
    int64_t at = 0;
    for (const int64_t s : sizes) {
      if (s < 0 || at + s > dim) cf::fail(node, "split sizes do not fit the axis");
      items.push_back(cf::take_range(input, axis, at, s));
      at += s;
    }
    if (at != dim) {
      cf::fail(node, fmt::format("split sizes sum to {} but the axis has {}", at, dim));
    }
  }
  ctx.set_output_value(0, Value::from_sequence(std::move(items), input.dtype()));
}

void concat_from_sequence(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Value& seq = sequence_input(ctx, 0);
  if (seq.sequence.empty()) cf::fail(node, "cannot concatenate an empty sequence");
  const bool new_axis = node.attr_int("new_axis", 0) != 0;
  if (!node.has_attr("axis")) cf::fail(node, "missing required attribute 'axis'");
  int64_t axis = node.attr_int("axis", 0);
  const int64_t rank = seq.sequence[0].rank() + (new_axis ? 1 : 0);
  if (axis < -rank || axis >= rank) {
    cf::fail(node, fmt::format("axis {} out of range for rank {}", axis, rank));
  }
  if (axis < 0) axis += rank;
  std::vector<const Tensor*> parts;
  for (const Tensor& t : seq.sequence) parts.push_back(&t);
  ctx.set_output(0, new_axis ? cf::stack(parts, axis, node) : cf::concat(parts, axis, node));
}

}  // namespace

void register_sequence_kernels(KernelRegistry& registry) {
  registry.add({"SequenceEmpty", "", 11, 1 << 20, sequence_empty});
  registry.add({"SequenceConstruct", "", 11, 1 << 20, sequence_construct});
  registry.add({"SequenceInsert", "", 11, 1 << 20, sequence_insert});
  registry.add({"SequenceErase", "", 11, 1 << 20, sequence_erase});
  registry.add({"SequenceAt", "", 11, 1 << 20, sequence_at});
  registry.add({"SequenceLength", "", 11, 1 << 20, sequence_length});
  registry.add({"SplitToSequence", "", 11, 1 << 20, split_to_sequence});
  registry.add({"ConcatFromSequence", "", 11, 1 << 20, concat_from_sequence});
}

}  // namespace bog::runtime::ref
