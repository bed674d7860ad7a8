// The folder's summary of every quantization report: quantization.json, a Markdown table with
// size, accuracy and speed in one row, and an accuracy-vs-size plot.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "quant/quant_report.h"

namespace bog::quant {
namespace fs = std::filesystem;
using nlohmann::json;
namespace {

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
    if (j.value("schema", "") != kQuantReportSchema) continue;
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
  json summary = {{"schema", kQuantReportSchema},
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

}  // namespace bog::quant
