// Col2Im: the inverse of im2col. Each column entry (channel, block offset, location) is added
// into the image at location * stride - pad_begin + offset * dilation, for any number of
// spatial dims. Overlapping blocks sum.
#include <fmt/format.h>

#include "common/checked_math.h"
#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

template <class T>
void col2im_typed(const Tensor& in, Tensor& out, const Shape& image, const Shape& block,
                  const Shape& blocks_per_dim, const std::vector<int64_t>& dilations,
                  const std::vector<int64_t>& pads, const std::vector<int64_t>& strides) {
  const size_t nd = image.size();
  const int64_t n = in.dim(0);
  const int64_t block_size = checked_numel(block);
  const int64_t channels = in.dim(1) / block_size;
  const int64_t locations = in.dim(2);
  const int64_t image_size = checked_numel(image);
  const T* x = in.data<T>();
  T* y = out.data<T>();
  std::vector<int64_t> off(nd);
  std::vector<int64_t> loc(nd);
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t kb = 0; kb < block_size; ++kb) {
        for (int64_t d = static_cast<int64_t>(nd) - 1, r = kb; d >= 0; --d) {
          off[static_cast<size_t>(d)] = r % block[static_cast<size_t>(d)];
          r /= block[static_cast<size_t>(d)];
        }
        for (int64_t l = 0; l < locations; ++l) {
          for (int64_t d = static_cast<int64_t>(nd) - 1, r = l; d >= 0; --d) {
            loc[static_cast<size_t>(d)] = r % blocks_per_dim[static_cast<size_t>(d)];
            r /= blocks_per_dim[static_cast<size_t>(d)];
          }
          int64_t pos = 0;
          bool inside = true;
          for (size_t d = 0; d < nd; ++d) {
            const int64_t p = loc[d] * strides[d] - pads[d] + off[d] * dilations[d];
            if (p < 0 || p >= image[d]) {
              inside = false;
              break;
            }
            pos = pos * image[d] + p;
          }
          if (!inside) continue;
          const int64_t src = ((b * channels + c) * block_size + kb) * locations + l;
          T& dst = y[(b * channels + c) * image_size + pos];
          dst = static_cast<T>(dst + x[src]);
        }
      }
    }
  }
}

void col2im(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& in = ctx.input(0);
  const Shape image = read_ints(ctx.input(1), node, "image_shape");
  const Shape block = read_ints(ctx.input(2), node, "block_shape");
  const size_t nd = image.size();
  if (in.rank() != 3)
    fail(node, fmt::format("input must be 3-D, got {}", shape_to_string(in.shape())));
  if (block.size() != nd || nd == 0) fail(node, "image_shape and block_shape lengths differ");
  const std::vector<int64_t> dilations = node.attr_ints("dilations", std::vector<int64_t>(nd, 1));
  const std::vector<int64_t> strides = node.attr_ints("strides", std::vector<int64_t>(nd, 1));
  const std::vector<int64_t> pads = node.attr_ints("pads", std::vector<int64_t>(2 * nd, 0));
  if (dilations.size() != nd || strides.size() != nd || pads.size() != 2 * nd) {
    fail(node, "dilations/strides/pads do not match the number of spatial dims");
  }
  Shape blocks_per_dim(nd);
  int64_t total = 1;
  for (size_t d = 0; d < nd; ++d) {
    if (block[d] <= 0 || image[d] < 0 || strides[d] <= 0 || dilations[d] <= 0) {
      fail(node, "block, image, strides and dilations must be positive");
    }
    const int64_t span = dilations[d] * (block[d] - 1) + 1;
    blocks_per_dim[d] = (image[d] + pads[d] + pads[d + nd] - span) / strides[d] + 1;
    if (blocks_per_dim[d] <= 0) fail(node, "block does not fit in the padded image");
    total *= blocks_per_dim[d];
  }
  const int64_t block_size = checked_numel(block);
  if (in.dim(1) % block_size != 0 || in.dim(2) != total) {
    fail(node, fmt::format("input {} does not match block {} with {} block positions",
                           shape_to_string(in.shape()), shape_to_string(block), total));
  }
  Shape out_shape{in.dim(0), in.dim(1) / block_size};
  out_shape.insert(out_shape.end(), image.begin(), image.end());
  const std::vector<int64_t> begin_pads(pads.begin(), pads.begin() + static_cast<int64_t>(nd));
  if (in.dtype() == DType::kFloat16 || in.dtype() == DType::kBFloat16) {
    const Tensor x = to_float32(in);
    Tensor y(DType::kFloat32, out_shape);
    col2im_typed<float>(x, y, image, block, blocks_per_dim, dilations, begin_pads, strides);
    ctx.set_output(0, from_float32(y, in.dtype()));
    return;
  }
  dispatch_numeric(in.dtype(), node, [&](auto tag) {
    using T = decltype(tag);
    Tensor& out = ctx.allocate_output(0, in.dtype(), out_shape);
    col2im_typed<T>(in, out, image, block, blocks_per_dim, dilations, begin_pads, strides);
  });
}

}  // namespace

void register_col2im_kernels(KernelRegistry& registry) {
  registry.add({"Col2Im", "", 18, 1 << 20, col2im});
}

}  // namespace bog::runtime::ref
