#include "parity/tolerance.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "common/error.h"

namespace bog::parity {

const Tolerance& TolerancePolicy::for_dtype(const std::string& dtype) const {
  const auto it = by_dtype.find(dtype);
  if (it != by_dtype.end()) return it->second;
  return by_dtype.at("float32");
}

const Tolerance& TolerancePolicy::for_precision(const std::string& precision) const {
  if (precision == "fp32") return for_dtype("float32");
  const auto it = by_dtype.find("bfloat16");
  if (precision != "bf16" || it == by_dtype.end()) {
    throw Error(ErrorCategory::kInvalidArgument,
                precision == "bf16"
                    ? std::string("the export config's parity section has no bfloat16 policy: "
                                  "bf16 runs are not compared without one")
                    : "precision '" + precision + "' has no parity policy (fp32, bf16)");
  }
  return it->second;
}

TolerancePolicy load_tolerance_policy(const std::filesystem::path& config) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(config.string());
  } catch (const YAML::BadFile&) {
    throw Error(ErrorCategory::kIo, fmt::format("cannot read '{}'", config.string()));
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCategory::kInvalidArgument, fmt::format("{}: {}", config.string(), e.what()));
  }
  TolerancePolicy policy;
  const YAML::Node parity = root["parity"];
  if (!parity) return policy;
  if (!parity.IsMap()) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("{}: parity: must be a map of dtype -> tolerance", config.string()));
  }
  for (const auto& entry : parity) {
    const std::string dtype = entry.first.as<std::string>();
    Tolerance t;
    for (const auto& kv : entry.second) {
      const std::string key = kv.first.as<std::string>();
      double v = 0;
      try {
        v = kv.second.as<double>();
      } catch (const YAML::Exception&) {
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("{}: parity.{}.{}: not a number", config.string(), dtype, key));
      }
      if (v < 0) {
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("{}: parity.{}.{}: must be >= 0", config.string(), dtype, key));
      }
      if (key == "atol") {
        t.atol = v;
      } else if (key == "rtol") {
        t.rtol = v;
      } else if (key == "argmax_agreement") {
        t.min_argmax_agreement = v;
      } else {
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("{}: parity.{}: unknown key '{}' (atol, rtol, argmax_agreement)",
                                config.string(), dtype, key));
      }
    }
    policy.by_dtype[dtype] = t;
  }
  return policy;
}

}  // namespace bog::parity
