#include "onnx_runtime/precision.h"

#include <fmt/format.h>

#include "common/error.h"
#include "onnx_runtime/providers/cpu/gemm/bf16_gemm.h"

namespace bog::runtime {

Precision parse_precision(std::string_view name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  throw Error(ErrorCategory::kInvalidArgument,
              fmt::format("precision '{}' is not one of fp32, bf16", name));
}

std::string_view precision_name(Precision p) { return p == Precision::kBf16 ? "bf16" : "fp32"; }

PrecisionChoice cpu_precision(Precision requested) {
  PrecisionChoice c;
  c.requested = requested;
  c.kernel = "fp32";
  if (requested != Precision::kBf16) return c;
  const cpu::Bf16Isa isa = cpu::best_bf16_isa();
  if (isa == cpu::Bf16Isa::kNone) {
    c.reason = "bf16 requested, ran fp32: " + cpu::bf16_unavailable_reason();
    return c;
  }
  c.used = Precision::kBf16;
  c.kernel = std::string(cpu::bf16_isa_name(isa));
  return c;
}

}  // namespace bog::runtime
