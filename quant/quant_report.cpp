#include "quant/quant_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/atomic_file.h"
#include "common/error.h"
#include "model/bundle.h"
#include "parity/onnx_accuracy.h"
#include "parity/ort_runner.h"
#include "quant/quant_timing.h"

namespace bog::quant {
namespace fs = std::filesystem;
using nlohmann::json;
namespace {

int argmax(const float* v, int n) { return static_cast<int>(std::max_element(v, v + n) - v); }

// Agreement of argmaxes and the largest absolute logit difference between two runs.
std::pair<double, double> compare(const parity::OnnxEval& a, const parity::OnnxEval& b) {
  const int c = a.num_classes;
  const size_t n = a.logits.size() / static_cast<size_t>(c);
  size_t same = 0;
  double diff = 0;
  for (size_t i = 0; i < n; ++i) {
    same += argmax(a.logits.data() + i * c, c) == argmax(b.logits.data() + i * c, c);
    for (int j = 0; j < c; ++j) {
      diff =
          std::max(diff, static_cast<double>(std::fabs(a.logits[i * c + j] - b.logits[i * c + j])));
    }
  }
  return {n ? static_cast<double>(same) / static_cast<double>(n) : 0.0, diff};
}

double r4(double v) { return std::round(v * 1e4) / 1e4; }
double r2(double v) { return std::round(v * 1e2) / 1e2; }

struct Measured {
  parity::OnnxEval cpu;
  std::optional<parity::OnnxEval> ort;
  SpeedFigures cpu_speed;
  std::optional<SpeedFigures> ort_speed;
};

Measured measure(const fs::path& bundle, const fs::path& onnx, const fs::path& data, int threads,
                 bool with_ort) {
  Measured m;
  m.cpu = parity::evaluate_onnx(bundle, onnx, data, "test", "cpu", threads);
  if (with_ort) m.ort = parity::evaluate_onnx(bundle, onnx, data, "test", "ort", threads);
  return m;
}

// fp32 and the quantized file, each on cpu and on ONNX Runtime, timed side by side in
// alternating rounds (same inputs, same threads), on cpu in turn a few runs at a time: a slow
// spell of a shared machine falls on all four alike instead of on whichever ran then. p50 of 100
// batch-1 and 100 batch-32 runs each (the p50 of 40 batch-32 runs moved by ±8% from one report to
// the next on this machine).
void time_side_by_side(const fs::path& fp32_onnx, const fs::path& quant_onnx, int threads,
                       int64_t vocab, bool with_ort, Measured& fp32, Measured& q) {
  constexpr int kRounds = 4;
  SpeedSamples cpu_f, cpu_q, ort_f, ort_q;
  for (int r = 0; r < kRounds; ++r) {
    time_cpu_pair(fp32_onnx, quant_onnx, threads, vocab, 25, 25, cpu_f, cpu_q);
    if (!with_ort) continue;
    time_onnx(fp32_onnx, "ort", threads, vocab, 25, 25, ort_f);
    time_onnx(quant_onnx, "ort", threads, vocab, 25, 25, ort_q);
  }
  fp32.cpu_speed = cpu_f.figures();
  q.cpu_speed = cpu_q.figures();
  if (with_ort) {
    fp32.ort_speed = ort_f.figures();
    q.ort_speed = ort_q.figures();
  }
}

json artifact_json(const std::string& bundle, const std::string& method, const fs::path& file,
                   int64_t bytes, int64_t fp32_bytes, const Measured& m, const Measured* fp32,
                   int threads) {
  json a = {{"bundle", bundle},
            {"method", method},
            {"file", file.filename().string()},
            {"size_bytes", bytes},
            {"size_mb", r2(bytes / 1e6)},
            {"ratio_to_fp32", r4(static_cast<double>(bytes) / static_cast<double>(fp32_bytes))},
            {"threads", threads},
            {"accuracy_cpu", r4(m.cpu.metrics.accuracy)},
            {"n", m.cpu.metrics.n},
            {"p50_ms_b1_cpu", r2(m.cpu_speed.p50_ms_b1)},
            {"samples_per_s_b32_cpu", r2(m.cpu_speed.samples_per_s_b32)},
            {"latency_ms", r2(m.cpu_speed.p50_ms_b1)}};
  if (m.ort) {
    a["accuracy_ort"] = r4(m.ort->metrics.accuracy);
    a["p50_ms_b1_ort"] = r2(m.ort_speed->p50_ms_b1);
    a["samples_per_s_b32_ort"] = r2(m.ort_speed->samples_per_s_b32);
    a["argmax_agreement_cpu_vs_ort"] = r4(compare(m.cpu, *m.ort).first);
  }
  if (m.ort && m.ort_speed->samples_per_s_b32 > 0) {
    a["b32_speed_vs_ort"] = r2(m.cpu_speed.samples_per_s_b32 / m.ort_speed->samples_per_s_b32);
  }
  if (fp32 != nullptr) {
    const auto [agree, diff] = compare(m.cpu, fp32->cpu);
    a["argmax_agreement_vs_fp32_cpu"] = r4(agree);
    a["max_logit_diff_vs_fp32_cpu"] = r4(diff);
    // Against the fp32 file timed in the same rounds (not the fp32 row, from another report).
    if (fp32->cpu_speed.samples_per_s_b32 > 0) {
      a["fp32_samples_per_s_b32_cpu_alongside"] = r2(fp32->cpu_speed.samples_per_s_b32);
      a["b32_speed_vs_fp32_cpu"] =
          r2(m.cpu_speed.samples_per_s_b32 / fp32->cpu_speed.samples_per_s_b32);
    }
    if (m.ort && fp32->ort) {
      const auto [agree_o, diff_o] = compare(*m.ort, *fp32->ort);
      a["argmax_agreement_vs_fp32_ort"] = r4(agree_o);
      a["max_logit_diff_vs_fp32_ort"] = r4(diff_o);
    }
  }
  return a;
}

}  // namespace

fs::path write_quant_report(const fs::path& dir, const QuantizeResult& result,
                            const fs::path& fp32_onnx, const fs::path& quant_onnx,
                            const std::optional<std::string>& bundle,
                            const std::optional<fs::path>& data_dir, int threads) {
  const std::string bundle_name =
      bundle ? fs::path(*bundle).filename().string() : fp32_onnx.stem().string();
  json report = {
      {"schema", kQuantReportSchema}, {"quantize", result.to_json()}, {"artifacts", json::array()}};
  if (bundle && data_dir) {
    const model::LoadedBundle b = model::load_bundle(*bundle);
    const int64_t vocab = b.config.vocab_size;
    const bool with_ort = parity::OrtRunner::find().has_value();
    report["ort"] = with_ort ? parity::OrtRunner::find()->version()
                             : "unavailable: " + parity::OrtRunner::why_unavailable();
    Measured fp32 = measure(*bundle, fp32_onnx, *data_dir, threads, with_ort);
    Measured q = measure(*bundle, quant_onnx, *data_dir, threads, with_ort);
    time_side_by_side(fp32_onnx, quant_onnx, threads, vocab, with_ort, fp32, q);
    report["artifacts"].push_back(artifact_json(bundle_name, "fp32", fp32_onnx, result.input_bytes,
                                                result.input_bytes, fp32, nullptr, threads));
    report["artifacts"].push_back(artifact_json(bundle_name, result.method, quant_onnx,
                                                result.output_bytes, result.input_bytes, q, &fp32,
                                                threads));
  }
  const fs::path file = dir / fmt::format("quant_{}_{}.json", bundle_name, result.method);
  write_file_atomic(file, report.dump(2) + "\n");
  write_quant_summary(dir);
  return file;
}

}  // namespace bog::quant
