#include "cli/quant_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/quant_eval.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "model/bundle.h"
#include "parity/ort_runner.h"

namespace bog::cli {
namespace fs = std::filesystem;
using nlohmann::json;
namespace {

constexpr const char* kSchema = "bog-quant 1";

int argmax(const float* v, int n) { return static_cast<int>(std::max_element(v, v + n) - v); }

// Agreement of argmaxes and the largest absolute logit difference between two runs.
std::pair<double, double> compare(const OnnxEval& a, const OnnxEval& b) {
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
  OnnxEval cpu;
  std::optional<OnnxEval> ort;
  SpeedFigures cpu_speed;
  std::optional<SpeedFigures> ort_speed;
};

Measured measure(const fs::path& bundle, const fs::path& onnx, const fs::path& data, int threads,
                 bool with_ort) {
  Measured m;
  m.cpu = evaluate_onnx(bundle, onnx, data, "test", "cpu", threads);
  if (with_ort) m.ort = evaluate_onnx(bundle, onnx, data, "test", "ort", threads);
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

std::string fmt_or_dash(const json& a, const char* key, const char* f = "{}") {
  if (!a.contains(key) || !a[key].is_number()) return "—";
  return fmt::format(fmt::runtime(f), a[key].get<double>());
}

std::string svg_plot(const std::vector<json>& arts) {
  // Accuracy (cpu provider) against file size, one marker per artifact, one colour per bundle.
  const double w = 640, h = 400, l = 70, r = 170, t = 40, b = 50;
  double xmax = 0, ymin = 1, ymax = 0;
  for (const json& a : arts) {
    if (!a.contains("accuracy_cpu")) continue;
    xmax = std::max(xmax, a.value("size_mb", 0.0));
    ymin = std::min(ymin, a.value("accuracy_cpu", 1.0));
    ymax = std::max(ymax, a.value("accuracy_cpu", 0.0));
  }
  if (xmax <= 0) xmax = 1;
  ymin = std::floor(ymin * 100 - 1) / 100;
  ymax = std::ceil(ymax * 100 + 0.5) / 100;
  auto px = [&](double x) { return l + x / (xmax * 1.1) * (w - l - r); };
  auto py = [&](double y) {
    return h - b - (y - ymin) / std::max(1e-9, ymax - ymin) * (h - t - b);
  };
  std::ostringstream o;
  o << fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n",
      w, h);
  o << fmt::format(
      "<text x=\"{}\" y=\"20\" font-size=\"14\">Test accuracy (cpu provider, n = 7600) vs ONNX "
      "file size</text>\n",
      l);
  o << fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"black\"/>\n", l,
                   h - b, w - r);
  o << fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"black\"/>\n", l, t,
                   h - b);
  for (int i = 0; i <= 5; ++i) {
    const double x = xmax * 1.1 * i / 5, y = ymin + (ymax - ymin) * i / 5;
    o << fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{:.1f}</text>\n", px(x),
                     h - b + 16, x);
    o << fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:.3f}</text>\n", l - 6,
                     py(y) + 4, y);
  }
  o << fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">file size (MB)</text>\n",
                   (l + w - r) / 2, h - 12);
  o << fmt::format(
      "<text x=\"16\" y=\"{}\" transform=\"rotate(-90 16 {})\" "
      "text-anchor=\"middle\">accuracy</text>\n",
      (t + h - b) / 2, (t + h - b) / 2);
  const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
  std::vector<std::string> bundles;
  for (const json& a : arts) {
    if (!a.contains("accuracy_cpu")) continue;
    const std::string bn = a.value("bundle", "?");
    auto it = std::find(bundles.begin(), bundles.end(), bn);
    if (it == bundles.end()) {
      bundles.push_back(bn);
      it = bundles.end() - 1;
    }
    const char* col = colours[(it - bundles.begin()) % 4];
    const double x = px(a.value("size_mb", 0.0)), y = py(a.value("accuracy_cpu", 0.0));
    o << fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"{}\"/>\n", x, y, col);
    o << fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"10\">{}</text>\n", x + 7, y - 4,
                     a.value("method", "?"));
  }
  for (size_t i = 0; i < bundles.size(); ++i) {
    o << fmt::format(
        "<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>\n",
        w - r + 15, t + 20 * i, colours[i % 4], w - r + 25, t + 4 + 20 * i, bundles[i]);
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace

fs::path write_quant_report(const fs::path& dir, const quant::QuantizeResult& result,
                            const fs::path& fp32_onnx, const fs::path& quant_onnx,
                            const std::optional<std::string>& bundle,
                            const std::optional<fs::path>& data_dir, int threads) {
  const std::string bundle_name =
      bundle ? fs::path(*bundle).filename().string() : fp32_onnx.stem().string();
  json report = {{"schema", kSchema}, {"quantize", result.to_json()}, {"artifacts", json::array()}};
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

void write_quant_summary(const fs::path& dir) {
  std::vector<json> arts;
  std::vector<std::string> seen;  // bundle/method, each once (the fp32 row repeats per report)
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".json" && e.path().filename().string().starts_with("quant_")) {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::string ort_version;
  for (const fs::path& f : files) {
    json j;
    try {
      j = json::parse(read_file(f));
    } catch (const json::exception&) {
      continue;
    }
    if (j.value("schema", "") != kSchema) continue;
    if (j.contains("ort") && j["ort"].is_string()) ort_version = j["ort"];
    for (const json& a : j.value("artifacts", json::array())) {
      const std::string key = a.value("bundle", "") + "/" + a.value("method", "");
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
      seen.push_back(key);
      arts.push_back(a);
    }
  }
  std::stable_sort(arts.begin(), arts.end(), [](const json& x, const json& y) {
    return x.value("bundle", "") < y.value("bundle", "");
  });
  json summary = {{"schema", kSchema},
                  {"state", arts.empty() ? "none" : "present"},
                  {"onnxruntime", ort_version},
                  {"artifacts", arts}};
  write_file_atomic(dir / "quantization.json", summary.dump(2) + "\n");
  std::ostringstream md;
  md << "# Quantization\n\n";
  md << "Every artifact is measured on the full AG News test set (n = 7600) in the interpreter "
        "(`cpu` provider) and in ONNX Runtime (onnxruntime-node "
     << (ort_version.empty() ? "?" : ort_version)
     << ", CPU), with size and speed in the same row. Agreement and max |logit diff| compare "
        "each artifact with the fp32 file in the same runtime. Speed: seq 128, p50 latency at "
        "batch 1 and samples/s at batch 32 (from the p50 of 100 runs each), the fp32 "
        "and the quantized file on cpu and on ORT timed side by side in 4 alternating rounds (on "
        "cpu, in turn every 4 runs, each block after an untimed run) "
        "with the same thread count. `b32 × fp32` divides the cpu samples/s by those of the "
        "fp32 file timed in the same rounds (the fp32 row itself is from the bundle's last "
        "report); `b32 × ORT` by ONNX Runtime's on the same file.\n\n";
  md << "| bundle | method | size MB | × fp32 | acc cpu | acc ORT | agree cpu | agree ORT | "
        "max Δlogit cpu | cpu↔ORT agree | p50 b1 cpu ms | p50 b1 ORT ms | b32 cpu samples/s | "
        "b32 ORT samples/s | b32 × fp32 | b32 × ORT | threads |\n";
  md << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const json& a : arts) {
    md << fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} "
        "|\n",
        a.value("bundle", "?"), a.value("method", "?"), fmt_or_dash(a, "size_mb", "{:.2f}"),
        fmt_or_dash(a, "ratio_to_fp32", "{:.3f}"), fmt_or_dash(a, "accuracy_cpu", "{:.4f}"),
        fmt_or_dash(a, "accuracy_ort", "{:.4f}"),
        fmt_or_dash(a, "argmax_agreement_vs_fp32_cpu", "{:.4f}"),
        fmt_or_dash(a, "argmax_agreement_vs_fp32_ort", "{:.4f}"),
        fmt_or_dash(a, "max_logit_diff_vs_fp32_cpu", "{:.4f}"),
        fmt_or_dash(a, "argmax_agreement_cpu_vs_ort", "{:.4f}"),
        fmt_or_dash(a, "p50_ms_b1_cpu", "{:.2f}"), fmt_or_dash(a, "p50_ms_b1_ort", "{:.2f}"),
        fmt_or_dash(a, "samples_per_s_b32_cpu", "{:.1f}"),
        fmt_or_dash(a, "samples_per_s_b32_ort", "{:.1f}"),
        fmt_or_dash(a, "b32_speed_vs_fp32_cpu", "{:.2f}"),
        fmt_or_dash(a, "b32_speed_vs_ort", "{:.2f}"), a.value("threads", 0));
  }
  md << "\n![accuracy vs size](quantization.svg)\n";
  write_file_atomic(dir / "quantization.md", md.str());
  write_file_atomic(dir / "quantization.svg", svg_plot(arts));
}

}  // namespace bog::cli
