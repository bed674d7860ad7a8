// Timing ONNX files side by side for the quantization report: p50 latency at batch 1 and
// samples/s at batch 32 (seq 128), on the interpreter's cpu provider or in ONNX Runtime.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace bog::quant {

struct SpeedFigures {
  double p50_ms_b1 = 0;          // batch 1, seq 128
  double samples_per_s_b32 = 0;  // batch 32, seq 128
};
// Run times in ms at batch 1 and batch 32 (seq 128), added to by each timing round.
struct SpeedSamples {
  std::vector<double> b1_ms;
  std::vector<double> b32_ms;
  [[nodiscard]] SpeedFigures figures() const;  // p50s
};
// Times `onnx` on `provider` ("cpu" or "ort") with full-length synthetic ids (seq 128), adding
// `iterations_b1` and `iterations_b32` timed runs (after a warm-up) to `out`.
void time_onnx(const std::filesystem::path& onnx, const std::string& provider, int threads,
               int64_t vocab, int iterations_b1, int iterations_b32, SpeedSamples& out);
// The same on `cpu` for two files in turn, a few runs at a time (each block after an untimed
// run), on the same inputs: a slow spell of a shared machine falls on both alike, so their ratio
// is the one to read.
void time_cpu_pair(const std::filesystem::path& a, const std::filesystem::path& b, int threads,
                   int64_t vocab, int iterations_b1, int iterations_b32, SpeedSamples& out_a,
                   SpeedSamples& out_b);

}  // namespace bog::quant
