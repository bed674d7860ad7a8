// NonZero: the coordinates of non-zero elements, as int64 [rank, count] in row-major order.
#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/tensor_kernels.h"

namespace bog::runtime::ref {
namespace {

void nonzero(KernelContext& ctx) {
  const Tensor& in = ctx.input(0);
  // numpy treats a scalar as shape [1] here, so the result has one row.
  const Shape shape = in.rank() == 0 ? Shape{1} : in.shape();
  std::vector<std::vector<int64_t>> hits;
  int64_t flat = 0;
  for_each_index(shape, [&](const std::vector<int64_t>& idx) {
    const bool nz = in.dtype() == DType::kString ? !in.strings()[static_cast<size_t>(flat)].empty()
                                                 : element_as_double(in, flat) != 0.0;
    if (nz) hits.push_back(idx);
    ++flat;
  });
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t count = static_cast<int64_t>(hits.size());
  Tensor& out = ctx.allocate_output(0, DType::kInt64, {rank, count});
  for (int64_t h = 0; h < count; ++h) {
    for (int64_t a = 0; a < rank; ++a) {
      out.data<int64_t>()[a * count + h] = hits[static_cast<size_t>(h)][static_cast<size_t>(a)];
    }
  }
}

}  // namespace

void register_nonzero_kernels(KernelRegistry& registry) {
  registry.add({"NonZero", "", 9, 1 << 20, nonzero});
}

}  // namespace bog::runtime::ref
