// The parity tolerance policy: one table keyed by dtype, read from configs/export.yaml.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace bog::parity {

struct Tolerance {
  double atol = 1e-4;
  double rtol = 1e-3;
  double min_argmax_agreement = 1.0;  // fraction of rows whose argmax must agree
};

struct TolerancePolicy {
  std::map<std::string, Tolerance> by_dtype = {{"float32", Tolerance{}}};
  // The tolerance for `dtype` ("float32", "int8", ...); float32's when not listed.
  [[nodiscard]] const Tolerance& for_dtype(const std::string& dtype) const;
  // The tolerance a run in `precision` ("fp32", "bf16") is held to: float32's, or bfloat16's,
  // which must be listed (Error(kInvalidArgument) otherwise: bf16 is never held to fp32's or
  // to no policy).
  [[nodiscard]] const Tolerance& for_precision(const std::string& precision) const;
};

// Reads the `parity:` section of an export config:
//   parity:
//     float32: {atol: 1.0e-4, rtol: 1.0e-3, argmax_agreement: 1.0}
// Error(kInvalidArgument) naming the file and key on a bad value or an unknown key.
[[nodiscard]] TolerancePolicy load_tolerance_policy(const std::filesystem::path& config);

}  // namespace bog::parity
