// What the cuda provider's host-side op code shares: the device context, the host copies of
// initializers (so shape-like inputs are read without a device round trip), and helpers that
// validate inputs, build strided walks and allocate device outputs.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "onnx_runtime/kernel.h"
#include "onnx_runtime/providers/cuda/cuda_context.h"
#include "onnx_runtime/providers/cuda/kernels/launch.h"

namespace bog::runtime::cuda {

// Initializers seen by optimize(): host views by name, and their device copies made once, so
// weights cross the bus once per session, not once per run.
class ConstantStore {
 public:
  void add(const std::string& name, const Tensor& host);
  // Host tensor of an initializer, or nullptr.
  const Tensor* host(const std::string& name) const;
  // The device copy of `host` when it is (a view of) a known initializer; uploads it on first
  // use. nullptr when `host` is not an initializer.
  const Tensor* device_copy(const Tensor& host, const CudaContext& ctx);

 private:
  struct Entry {
    Tensor host;    // a view: keeps the memory alive, so its address never names other data
    Tensor device;  // undefined until first use
  };
  std::map<std::string, const void*> by_name_;
  std::map<const void*, Entry> by_address_;
  std::mutex mutex_;
};

struct OpEnv {
  const CudaContext* ctx = nullptr;
  ConstantStore* constants = nullptr;
};

// Error(kUnsupported) unless t is float32 (the dtype the math kernels implement).
void require_float(const Tensor& t, const Node& node, size_t input);
// Output i allocated on the device.
Tensor& allocate_output(KernelContext& k, const OpEnv& env, size_t i, DType dtype, Shape shape);
// The int64 values of a small control input (shape, axes, starts...): from the initializer's
// host copy when there is one, else read back from the device.
std::vector<int64_t> read_ints(const KernelContext& k, const OpEnv& env, size_t i);
// Maps a possibly negative axis into [0, rank); Error(kInvalidModel) when out of range.
int64_t normalize_axis(int64_t axis, int64_t rank, const Node& node);
int64_t dims_product(const Shape& shape, size_t begin, size_t end);
std::vector<int64_t> strides_of(const Shape& shape);
// Numpy broadcast of two shapes; Error(kInvalidModel) when they cannot broadcast.
Shape broadcast_pair(const Shape& a, const Shape& b, const Node& node);
// ONNX Reshape's target shape for `from` (0 copies a dim unless allow_zero, one -1 is
// inferred); Error(kInvalidModel) naming `node` when invalid or the element count differs.
Shape reshape_to(const Shape& from, const std::vector<int64_t>& spec, bool allow_zero,
                 const Node& node);
// Row-major C[M,N] = alpha op(A) op(B) + beta C through cuBLAS (op: transpose when ta/tb; A is
// [M,K] or [K,M], B [K,N] or [N,K]). TF32 as the context allows.
void gemm_rowmajor(const OpEnv& env, const Node& node, const float* a, const float* b, float* c,
                   int64_t m, int64_t n, int64_t k, bool ta, bool tb, float alpha, float beta);
// Error(kUnsupported) above kMaxRank.
void require_rank(int64_t rank, const Node& node);
// A device int set to 0, for kernels that report bad input (an index out of range).
Tensor make_flag(const OpEnv& env);
// Reads a kernel's error flag (after the kernel) and throws `message` when it was set.
void check_flag(const OpEnv& env, const Tensor& flag, const Node& node, const char* message);

void register_elementwise_ops(KernelRegistry& registry, const OpEnv* env);
void register_matmul_ops(KernelRegistry& registry, const OpEnv* env);
void register_normalization_ops(KernelRegistry& registry, const OpEnv* env);
void register_tensor_ops(KernelRegistry& registry, const OpEnv* env);
void register_rotary_ops(KernelRegistry& registry, const OpEnv* env);
// The fused node types (domain bog.cpu) of the shared graph passes (cpu/passes).
void register_fused_matmul_ops(KernelRegistry& registry, const OpEnv* env);
void register_attention_ops(KernelRegistry& registry, const OpEnv* env);
void register_fused_row_ops(KernelRegistry& registry, const OpEnv* env);

}  // namespace bog::runtime::cuda
