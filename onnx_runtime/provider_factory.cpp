// The providers this build knows, by name.
#include <fmt/format.h>

#include <atomic>

#include "common/error.h"
#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/providers/cpu/cpu_provider.h"
#include "onnx_runtime/providers/cuda/cuda_module.h"
#include "onnx_runtime/providers/reference/reference_provider.h"

namespace bog::runtime {
namespace {

// Stands in for a provider this build does not contain, so a request for it is placed like
// any unavailable provider: every node falls back and the report says why.
class AbsentProvider : public ExecutionProvider {
 public:
  AbsentProvider(std::string name, std::string reason)
      : name_(std::move(name)), reason_(std::move(reason)) {}
  std::string name() const override { return name_; }
  bool available() const override { return false; }
  std::string unavailable_reason() const override { return reason_; }
  Claim claims(const Node&) const override { return Claim::no(reason_); }
  KernelFn create_kernel(const Node& node) const override {
    throw Error(ErrorCategory::kProviderUnavailable,
                fmt::format("{}: cannot run {}: {}", name_, node.op_type, reason_));
  }

 private:
  std::string name_;
  std::string reason_;
};

std::atomic<bool> g_allow_tf32{false};

}  // namespace

void set_allow_tf32(bool allow) { g_allow_tf32 = allow; }
bool allow_tf32() { return g_allow_tf32; }

std::vector<std::string> known_provider_names() { return {"reference", "cpu", "cuda"}; }

std::shared_ptr<ExecutionProvider> make_provider(const std::string& name, int threads,
                                                 Precision precision) {
  if (name == "reference") return std::make_shared<ReferenceProvider>();
  if (name == "cpu") {
    return std::make_shared<CpuProvider>(threads, precision);
  }
  if (name == "cuda") {
    // A module of its own (cuda_module.h): cuBLAS is mapped only by processes that ask.
    std::string why;
    if (auto p = load_cuda_provider(allow_tf32(), why)) return p;
    return std::make_shared<AbsentProvider>("cuda", why);
  }
  throw Error(ErrorCategory::kInvalidArgument,
              fmt::format("unknown provider '{}' (known: {})", name,
                          fmt::join(known_provider_names(), ", ")));
}

}  // namespace bog::runtime
