// strided_copy (the copy behind Transpose and Slice) against the obvious per-element index map,
// on random shapes with odd sizes, size-1 and empty dims, negative steps, and several dtypes.
#include <gtest/gtest.h>

#include <random>

#include "onnx_runtime/providers/reference/kernels/data_movement.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::ref {
namespace {

// The expected result, one element at a time.
Tensor naive(const Tensor& in, const Shape& shape, int64_t base,
             const std::vector<int64_t>& steps) {
  std::vector<int64_t> map;
  for_each_index(shape, [&](const std::vector<int64_t>& idx) {
    int64_t src = base;
    for (size_t k = 0; k < idx.size(); ++k) src += idx[k] * steps[k];
    map.push_back(src);
  });
  return gather_by_map(in, shape, map);
}

Tensor filled(DType dtype, const Shape& shape, std::mt19937& rng) {
  Tensor t(dtype, shape);
  if (dtype == DType::kString) {
    for (int64_t i = 0; i < t.numel(); ++i)
      t.strings()[static_cast<size_t>(i)] = std::to_string(rng());
    return t;
  }
  auto* bytes = static_cast<unsigned char*>(t.raw());
  // Random bytes, except that a bool must hold 0 or 1 to be a valid value.
  const unsigned mod = dtype == DType::kBool ? 2 : 256;
  for (size_t i = 0; i < t.nbytes(); ++i) bytes[i] = static_cast<unsigned char>(rng() % mod);
  return t;
}

void expect_equal(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.shape(), want.shape());
  ASSERT_EQ(got.dtype(), want.dtype());
  for (int64_t i = 0; i < got.numel(); ++i) {
    ASSERT_EQ(compare_elements(got, i, want, i), 0) << "element " << i;
  }
}

TEST(StridedCopy, MatchesTheIndexMapForRandomSlicesAndPermutations) {
  std::mt19937 rng(7);
  const DType dtypes[] = {DType::kFloat32, DType::kInt64,  DType::kUint8,  DType::kFloat16,
                          DType::kBool,    DType::kString, DType::kFloat64};
  for (int trial = 0; trial < 400; ++trial) {
    const DType dtype = dtypes[trial % 7];
    const size_t rank = 1 + rng() % 4;
    Shape in_shape(rank);
    for (auto& d : in_shape) d = static_cast<int64_t>(rng() % 6);  // 0..5: empty and size-1 dims
    if (trial % 5 != 0) {
      for (auto& d : in_shape) d = std::max<int64_t>(d, 1);
    }
    const Tensor in = filled(dtype, in_shape, rng);
    const std::vector<int64_t> strides = strides_of(in_shape);
    Shape out_shape(rank);
    std::vector<int64_t> steps(rank);
    int64_t base = 0;
    if (trial % 2 == 0) {  // a permutation
      std::vector<int64_t> perm(rank);
      for (size_t k = 0; k < rank; ++k) perm[k] = static_cast<int64_t>(k);
      std::shuffle(perm.begin(), perm.end(), rng);
      for (size_t k = 0; k < rank; ++k) {
        out_shape[k] = in_shape[static_cast<size_t>(perm[k])];
        steps[k] = strides[static_cast<size_t>(perm[k])];
      }
    } else {  // a slice per axis, forward or backward, step 1..3
      for (size_t k = 0; k < rank; ++k) {
        const int64_t dim = in_shape[k];
        const int64_t step = (1 + static_cast<int64_t>(rng() % 3)) * (rng() % 3 == 0 ? -1 : 1);
        if (dim == 0) {
          out_shape[k] = 0;
          steps[k] = strides[k];
          continue;
        }
        const int64_t first = static_cast<int64_t>(rng() % static_cast<uint32_t>(dim));
        const int64_t room = step > 0 ? (dim - 1 - first) / step : first / -step;
        out_shape[k] = 1 + static_cast<int64_t>(rng() % static_cast<uint32_t>(room + 1));
        base += first * strides[k];
        steps[k] = step * strides[k];
      }
    }
    SCOPED_TRACE(::testing::Message() << "trial " << trial << " dtype " << dtype_name(dtype));
    expect_equal(strided_copy(in, out_shape, base, steps), naive(in, out_shape, base, steps));
  }
}

TEST(StridedCopy, TransposeKeepingTheLastAxisCopiesWholeRows) {
  Tensor in(DType::kInt32, {2, 3, 4});
  for (int i = 0; i < 24; ++i) in.data<int32_t>()[i] = i;
  const Tensor out = permute(in, {1, 0, 2});
  ASSERT_EQ(out.shape(), (Shape{3, 2, 4}));
  const int32_t want[] = {0,  1,  2,  3,  12, 13, 14, 15, 4,  5,  6,  7,
                          16, 17, 18, 19, 8,  9,  10, 11, 20, 21, 22, 23};
  for (int i = 0; i < 24; ++i) EXPECT_EQ(out.data<int32_t>()[i], want[i]) << i;
}

}  // namespace
}  // namespace bog::runtime::ref
