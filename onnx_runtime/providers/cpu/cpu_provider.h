// The fused CPU provider: every op the reference provider has, with optimized float32 kernels
// for the hot ones (packed GEMM with AVX-512/AVX2 micro-kernels, fused attention, norms, RoPE,
// allocation-free data movement), its own intra-op thread pool, and graph passes (passes/)
// that fold constants and fuse subgraphs into session-internal ops (domain "bog.cpu", never
// written to an exported file). Non-float32 inputs run the reference kernel.
#pragma once

#include <memory>

#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/kernel.h"
#include "onnx_runtime/kv_cache_state.h"
#include "onnx_runtime/precision.h"
#include "onnx_runtime/providers/reference/reference_provider.h"

namespace bog::runtime {

inline constexpr const char* kCpuFusedDomain = "bog.cpu";

namespace cpu {
class ThreadPool;
class LaneReduction;
class WeightArena;
class PrepackedWeights;
struct LaneLink;
}  // namespace cpu

class CpuProvider : public ExecutionProvider {
 public:
  explicit CpuProvider(int threads = 1, Precision precision = Precision::kFp32);
  std::string name() const override { return "cpu"; }
  Claim claims(const Node& node) const override;
  void optimize(Graph& graph) override;
  std::vector<PassCount> pass_counts() const override { return pass_counts_; }
  // Packs the weight of every FusedMatMul placed here whose weight is an initializer (and not a
  // graph input a caller could feed), and releases each such initializer that nothing but
  // those nodes reads: it keeps its shape and holds no data from then on.
  void prepack(Graph& graph) override;
  KernelFn create_kernel(const Node& node) const override;
  int threads() const { return threads_; }
  // The precision its GEMMs run in, and why it is not the one requested where it is not.
  const PrecisionChoice& precision() const { return precision_; }

  // Makes this provider's kernels a lane of a batch run in lanes (lane_reduction.h): ops that
  // need the whole batch (DynamicQuantizeMatMul's activation scale) meet the other lanes there,
  // and its parallel_for jobs take help from lanes that wait (lane_help.h).
  void join_lanes(std::shared_ptr<cpu::LaneReduction> reduction, int lane);
  // Before optimize(): a decoder session's KV cache state, so that optimize() appends the
  // present outputs in place (passes/fuse_kv_append.cpp) and the kernels find the capacity.
  void share_kv_cache(std::shared_ptr<KvCacheState> state) { kv_state_ = std::move(state); }
  // Before prepack(): the store its packed weights go to and are taken from, shared by the
  // lanes of a session (prepacked_weights.h). Without one, prepack() makes its own.
  void share_prepacked(std::shared_ptr<cpu::PrepackedWeights> store) {
    prepacked_ = std::move(store);
  }

 private:
  int threads_;
  PrecisionChoice precision_;
  std::shared_ptr<cpu::ThreadPool> pool_;
  std::shared_ptr<cpu::WeightArena> weights_;  // the packed GEMM weights of this session
  std::shared_ptr<cpu::LaneLink> lane_;        // captured by the kernels; set after they exist
  std::shared_ptr<KvCacheState> kv_state_;
  std::shared_ptr<cpu::PrepackedWeights> prepacked_;
  std::vector<PassCount> pass_counts_;
  KernelRegistry fused_;
  ReferenceProvider reference_;
};

}  // namespace bog::runtime
