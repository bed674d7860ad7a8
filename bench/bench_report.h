// The benchmark report in four forms: bench.json (everything), bench.csv (the rows), bench.md
// (the matrix with each backend's ratio to ONNX Runtime and its fraction of the sgemm peak)
// and bench.svg (latency and throughput per backend for every batch x seq cell).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/bench_runner.h"

namespace bog::bench {

inline constexpr const char* kBenchSchema = "bog-bench 1";

// {"schema", "environment", "sgemm_gflops", "gemm_peak_gflops", "fma_peak_gflops", "artifact",
// "rows", "summary"}; summary has one entry per result row: ratio_to_ort (mean_ms / ORT's
// mean_ms in the same cell, null without an ORT result), peak_fraction (gflops /
// (sgemm_gflops * threads), Eigen's peak) and gemm_peak_fraction (gflops / (gemm_peak_gflops *
// threads), the packed GEMM's: the "% of peak" the Markdown shows).
[[nodiscard]] nlohmann::json bench_report_json(const BenchResult& result);

[[nodiscard]] std::string rows_csv(const nlohmann::json& rows);
[[nodiscard]] std::string report_markdown(const nlohmann::json& report);
[[nodiscard]] std::string report_svg(const nlohmann::json& report);
// One line per row for the terminal: requested and used provider, timing or why none.
[[nodiscard]] std::string report_terminal_table(const nlohmann::json& report);

// Writes bench.json, bench.csv, bench.md and bench.svg into `dir` (created).
void write_bench_outputs(const nlohmann::json& report, const std::filesystem::path& dir);

}  // namespace bog::bench
