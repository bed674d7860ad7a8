#include "onnx_runtime/providers/cpu/prepacked_weights.h"

namespace bog::runtime::cpu {

std::shared_ptr<const PackedWeight> PrepackedWeights::find(const std::string& name, bool transposed,
                                                           bool bf16) const {
  const std::lock_guard<std::mutex> lock(mu_);
  const auto it = weights_.find(Key{name, transposed, bf16});
  return it == weights_.end() ? nullptr : it->second;
}

std::shared_ptr<const PackedWeight> PrepackedWeights::pack(
    const std::string& name, const float* w, int64_t k, int64_t n, bool transposed, bool bf16,
    const std::shared_ptr<WeightArena>& arena) {
  const std::lock_guard<std::mutex> lock(mu_);
  const Key key{name, transposed, bf16};
  if (const auto it = weights_.find(key); it != weights_.end()) return it->second;
  auto p = std::make_shared<PackedWeight>();
  p->k = k;
  p->n = n;
  const int64_t ld = transposed ? k : n;
  if (bf16) {
    p->bf16 = std::make_unique<PackedBf16Matrix>(w, k, n, ld, transposed, arena);
    bytes_ += p->bf16->bytes();
  } else {
    const GemmIsa isa = best_gemm_isa();
    p->fp32 = std::make_unique<PackedMatrix>(isa, w, k, n, ld, transposed, arena);
    bytes_ += static_cast<size_t>(packed_size(isa, k, n)) * sizeof(float);
  }
  weights_.emplace(key, p);
  return p;
}

size_t PrepackedWeights::bytes() const {
  const std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

}  // namespace bog::runtime::cpu
