// Weights packed once when a session is made (ONNX Runtime's PrePack): the cpu provider packs
// the constant weight of every FusedMatMul it runs and then releases the float32 initializer
// where nothing else reads it, so each weight is held once, as its packed panels. The lanes of a
// session (batch_runner.h) share the session's store (SessionOptions::prepacked): the panels
// exist once per session, not once per lane. A store belongs to sessions of one model.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "onnx_runtime/providers/cpu/gemm/bf16_gemm.h"
#include "onnx_runtime/providers/cpu/gemm/packed_gemm.h"

namespace bog::runtime::cpu {

// One weight W [K, N] (stored [N, K] when transposed), packed for the fp32 or the bf16 GEMM.
struct PackedWeight {
  int64_t k = 0;
  int64_t n = 0;
  std::unique_ptr<PackedMatrix> fp32;
  std::unique_ptr<PackedBf16Matrix> bf16;
};

class PrepackedWeights {
 public:
  // The packed form of initializer `name` (transposed or not, bf16 or fp32), or nullptr.
  std::shared_ptr<const PackedWeight> find(const std::string& name, bool transposed,
                                           bool bf16) const;
  // Packs w (float32 [K, N], or [N, K] when transposed) into `arena` unless that form is here
  // already; returns the stored form.
  std::shared_ptr<const PackedWeight> pack(const std::string& name, const float* w, int64_t k,
                                           int64_t n, bool transposed, bool bf16,
                                           const std::shared_ptr<WeightArena>& arena);
  // Bytes of packed panels held (fp32 and bf16 together).
  size_t bytes() const;

 private:
  using Key = std::tuple<std::string, bool, bool>;
  mutable std::mutex mu_;
  std::map<Key, std::shared_ptr<const PackedWeight>> weights_;
  size_t bytes_ = 0;
};

}  // namespace bog::runtime::cpu
