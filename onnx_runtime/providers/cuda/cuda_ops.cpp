#include "onnx_runtime/providers/cuda/cuda_ops.h"

#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"

namespace bog::runtime::cuda {

void ConstantStore::add(const std::string& name, const Tensor& host) {
  if (!host.defined() || host.dtype() == DType::kString || host.device() != Device::kCpu) return;
  const std::lock_guard lock(mutex_);
  by_name_[name] = host.raw();
  if (host.raw() != nullptr && !by_address_.count(host.raw())) {
    by_address_.emplace(host.raw(), Entry{host.view(host.shape()), Tensor()});
  }
}

const Tensor* ConstantStore::host(const std::string& name) const {
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) return nullptr;
  const auto e = by_address_.find(it->second);
  return e == by_address_.end() ? nullptr : &e->second.host;
}

const Tensor* ConstantStore::device_copy(const Tensor& host, const CudaContext& ctx) {
  const std::lock_guard lock(mutex_);
  const auto it = by_address_.find(host.raw());
  if (it == by_address_.end()) return nullptr;
  Entry& e = it->second;
  // Same address, other type or size: a reinterpreting view; copy it plainly.
  if (e.host.dtype() != host.dtype() || e.host.numel() != host.numel()) return nullptr;
  if (!e.device.defined()) e.device = ctx.to_device(e.host);
  return &e.device;
}

void require_float(const Tensor& t, const Node& node, size_t input) {
  if (t.dtype() == DType::kFloat32) return;
  throw Error(ErrorCategory::kUnsupported,
              fmt::format("cuda: {} node '{}': input {} is {}, only float32 is implemented",
                          node.op_type, node.name, input, dtype_name(t.dtype())));
}

Tensor& allocate_output(KernelContext& k, const OpEnv& env, size_t i, DType dtype, Shape shape) {
  k.set_output(i, env.ctx->allocate(dtype, std::move(shape)));
  return k.outputs()[i].tensor;
}

std::vector<int64_t> read_ints(const KernelContext& k, const OpEnv& env, size_t i) {
  const Node& node = k.node();
  const Tensor* host = i < node.inputs.size() ? env.constants->host(node.inputs[i]) : nullptr;
  const Tensor& t = host != nullptr ? *host : k.input(i);
  if (t.dtype() != DType::kInt64 && t.dtype() != DType::kInt32) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': input {} must be int64 or int32, got {}", node.op_type,
                            node.name, i, dtype_name(t.dtype())));
  }
  std::vector<int64_t> out(static_cast<size_t>(t.numel()));
  if (t.dtype() == DType::kInt64) {
    if (t.device() == Device::kCpu) {
      for (size_t j = 0; j < out.size(); ++j) out[j] = t.data<int64_t>()[j];
    } else {
      env.ctx->read_back(t, out.data());
    }
    return out;
  }
  std::vector<int32_t> narrow(out.size());
  if (t.device() == Device::kCpu) {
    for (size_t j = 0; j < out.size(); ++j) narrow[j] = t.data<int32_t>()[j];
  } else {
    env.ctx->read_back(t, narrow.data());
  }
  for (size_t j = 0; j < out.size(); ++j) out[j] = narrow[j];
  return out;
}

int64_t normalize_axis(int64_t axis, int64_t rank, const Node& node) {
  if (axis < -rank || axis >= (rank == 0 ? 1 : rank)) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': axis {} out of range for rank {}", node.op_type,
                            node.name, axis, rank));
  }
  return axis < 0 ? axis + rank : axis;
}

int64_t dims_product(const Shape& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < shape.size(); ++i) p *= shape[i];
  return p;
}

std::vector<int64_t> strides_of(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

Shape broadcast_pair(const Shape& a, const Shape& b, const Node& node) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("{} node '{}': shapes {} and {} cannot broadcast", node.op_type,
                              node.name, shape_to_string(a), shape_to_string(b)));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

void require_rank(int64_t rank, const Node& node) {
  if (rank <= kMaxRank) return;
  throw Error(ErrorCategory::kUnsupported,
              fmt::format("cuda: {} node '{}': rank {} exceeds the kernels' limit {}",
                          node.op_type, node.name, rank, kMaxRank));
}

Tensor make_flag(const OpEnv& env) {
  Tensor flag = env.ctx->allocate(DType::kInt32, {1});
  check_cuda(cudaMemsetAsync(flag.raw(), 0, sizeof(int32_t),
                             static_cast<cudaStream_t>(env.ctx->stream())),
             "error flag reset");
  return flag;
}

void check_flag(const OpEnv& env, const Tensor& flag, const Node& node, const char* message) {
  int set = 0;
  env.ctx->read_back(flag, &set);
  if (set != 0) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} node '{}': {}", node.op_type, node.name, message));
  }
}

}  // namespace bog::runtime::cuda
