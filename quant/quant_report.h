// The quantization report: one JSON per (bundle, method) with the fp32 baseline beside the
// quantized artifact, and the folder's summary (quantization.json / .md / .svg) rebuilt from
// every report in it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "quant/quantizer.h"

namespace bog::quant {

// The schema of every report and of the summary.
inline constexpr const char* kQuantReportSchema = "bog-quant 1";

// Writes <dir>/quant_<bundle>_<method>.json (schema "bog-quant 1") and refreshes the summary.
// Without a bundle only sizes and decisions are recorded. Returns the report's path.
std::filesystem::path write_quant_report(const std::filesystem::path& dir,
                                         const QuantizeResult& result,
                                         const std::filesystem::path& fp32_onnx,
                                         const std::filesystem::path& quant_onnx,
                                         const std::optional<std::string>& bundle,
                                         const std::optional<std::filesystem::path>& data_dir,
                                         int threads);

// Rebuilds quantization.json, quantization.md and quantization.svg in `dir` from its reports
// (quant_summary.cpp).
void write_quant_summary(const std::filesystem::path& dir);

}  // namespace bog::quant
