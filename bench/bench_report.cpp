#include "bench/bench_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "common/atomic_file.h"

namespace bog::bench {
namespace {

using nlohmann::json;

std::string cell_key(const json& r) {
  return fmt::format("{}/{}/{}", r.value("batch", 0), r.value("seq_len", 0), r.value("threads", 0));
}

bool is_result(const json& r) {
  return parity_is_result(r.value("parity_status", "")) && r.contains("mean_ms") &&
         r["mean_ms"].is_number();
}

std::string label(const json& r) {
  const std::string b = r.value("backend", "");
  if (b == "interpreter") return "interp:" + r.value("provider_requested", "");
  if (b == "onnxruntime") return "ort";
  return b;
}

std::string num(const json& v, const char* f = "{:.3f}") {
  if (!v.is_number()) return "—";
  return fmt::format(fmt::runtime(f), v.get<double>());
}

std::string csv_cell(const json& v) {
  std::string s;
  if (v.is_null()) return "";
  if (v.is_string())
    s = v.get<std::string>();
  else
    s = v.dump();
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (const char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

std::string xml_escape(const std::string& s) {
  std::string o;
  for (const char ch : s) {
    switch (ch) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += ch;
    }
  }
  return o;
}

}  // namespace

json bench_report_json(const BenchResult& r) {
  std::map<std::string, double> ort_ms;
  for (const json& row : r.rows) {
    if (row.value("backend", "") == "onnxruntime" && is_result(row)) {
      ort_ms[cell_key(row)] = row["mean_ms"].get<double>();
    }
  }
  json summary = json::array();
  for (const json& row : r.rows) {
    if (!is_result(row)) continue;
    json s = {{"backend", label(row)},
              {"provider_requested", row["provider_requested"]},
              {"provider_used", row["provider_used"]},
              {"batch", row["batch"]},
              {"seq_len", row["seq_len"]},
              {"threads", row["threads"]},
              {"mean_ms", row["mean_ms"]}};
    const auto it = ort_ms.find(cell_key(row));
    s["ratio_to_ort"] = it != ort_ms.end() && it->second > 0
                            ? json(row["mean_ms"].get<double>() / it->second)
                            : json(nullptr);
    const double peak = r.sgemm_gflops * row.value("threads", 1);
    s["peak_fraction"] = row["gflops"].is_number() && peak > 0
                             ? json(row["gflops"].get<double>() / peak)
                             : json(nullptr);
    s["gemm_peak_fraction"] = row.value("gemm_peak_fraction", json(nullptr));
    summary.push_back(std::move(s));
  }
  return {{"schema", kBenchSchema},
          {"environment", r.environment},
          {"sgemm_gflops", r.sgemm_gflops},
          {"gemm_peak_gflops", r.gemm_peak_gflops},
          {"fma_peak_gflops", r.fma_peak_gflops},
          {"ort_version", r.ort_version},
          {"artifact", r.artifact},
          {"rows", r.rows},
          {"summary", summary}};
}

std::string rows_csv(const json& rows) {
  std::vector<std::string> cols = row_fields();
  for (const std::string& f : context_fields()) cols.push_back(f);
  std::ostringstream o;
  for (size_t i = 0; i < cols.size(); ++i) o << (i ? "," : "") << cols[i];
  o << "\n";
  for (const json& r : rows) {
    for (size_t i = 0; i < cols.size(); ++i) {
      o << (i ? "," : "") << csv_cell(r.contains(cols[i]) ? r[cols[i]] : json(nullptr));
    }
    o << "\n";
  }
  return o.str();
}

std::string report_markdown(const json& report) {
  std::ostringstream o;
  const json& rows = report.at("rows");
  std::map<std::string, json> sum;  // label|cell -> summary entry
  for (const json& s : report.value("summary", json::array())) {
    sum[s.value("backend", "") + "|" + cell_key(s)] = s;
  }
  o << fmt::format(
           "Single-thread peaks measured in this run: the packed GEMM (1024 square) {:.1f} "
           "GFLOP/s, one core's FMA loop {:.1f}, Eigen sgemm {:.1f}; `% peak` is GFLOP/s over the "
           "packed GEMM's peak times the threads. FLOPs come from the architecture or, for "
           "foreign models, from the shapes of one run of the graph. ",
           report.value("gemm_peak_gflops", 0.0), report.value("fma_peak_gflops", 0.0),
           report.value("sgemm_gflops", 0.0))
    << "Timings are shown only for rows whose artifact passed parity; `×ORT` is mean latency "
       "divided by ONNX Runtime's in the same cell (lower is faster).\n\n";
  o << "| backend | provider requested | provider used | batch | seq | threads | mean ms | p50 ms "
       "| p95 ms | samples/s | GFLOP/s | % peak | ×ORT | parity | note |\n";
  o << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const json& r : rows) {
    const auto it = sum.find(label(r) + "|" + cell_key(r));
    std::string ratio = "—", frac = "—";
    if (it != sum.end()) {
      if (it->second["ratio_to_ort"].is_number()) ratio = num(it->second["ratio_to_ort"], "{:.2f}");
      if (it->second["gemm_peak_fraction"].is_number()) {
        frac = fmt::format("{:.1f}", 100.0 * it->second["gemm_peak_fraction"].get<double>());
      }
    }
    std::string note = r.value("note", "");
    std::replace(note.begin(), note.end(), '|', '/');
    o << fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", label(r),
        r.value("provider_requested", ""), r.value("provider_used", ""), r.value("batch", 0),
        r.value("seq_len", 0), r.value("threads", 0), num(r["mean_ms"]), num(r["p50_ms"]),
        num(r["p95_ms"]), num(r["samples_per_s"], "{:.1f}"), num(r["gflops"], "{:.2f}"), frac,
        ratio, r.value("parity_status", ""), note);
  }
  return o.str();
}

std::string report_terminal_table(const json& report) {
  std::ostringstream o;
  o << fmt::format("{:<18} {:<10} {:<16} {:>5} {:>5} {:>3} {:>10} {:>10} {:>7}  {}\n", "backend",
                   "requested", "used", "batch", "seq", "thr", "mean_ms", "samples/s", "parity",
                   "note");
  for (const json& r : report.at("rows")) {
    std::string note = r.value("note", "");
    if (note.size() > 70) note = note.substr(0, 67) + "...";
    o << fmt::format("{:<18} {:<10} {:<16} {:>5} {:>5} {:>3} {:>10} {:>10} {:>7}  {}\n", label(r),
                     r.value("provider_requested", ""), r.value("provider_used", ""),
                     r.value("batch", 0), r.value("seq_len", 0), r.value("threads", 0),
                     num(r["mean_ms"]), num(r["samples_per_s"], "{:.1f}"),
                     r.value("parity_status", ""), note);
  }
  return o.str();
}

std::string report_svg(const json& report) {
  // Two panels of grouped bars, one group per (batch, seq, threads) cell and one bar per
  // backend: mean latency (ms, log scale) and throughput (samples/s, log scale).
  std::vector<std::string> cells, labels;
  std::map<std::pair<std::string, std::string>, json> rows;
  for (const json& r : report.at("rows")) {
    const std::string c = cell_key(r), l = label(r);
    if (std::find(cells.begin(), cells.end(), c) == cells.end()) cells.push_back(c);
    if (std::find(labels.begin(), labels.end(), l) == labels.end()) labels.push_back(l);
    rows[{c, l}] = r;
  }
  static const char* kColors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
                                  "#59a14f", "#edc948", "#b07aa1", "#9c755f"};
  const int bar = 12, gap = 18, panel_h = 220, top = 40, left = 60;
  const int group_w = static_cast<int>(labels.size()) * bar + gap;
  const int width = left + std::max<int>(1, static_cast<int>(cells.size())) * group_w + 160;
  const int height = top + 2 * (panel_h + 70) + 10;
  std::ostringstream o;
  o << fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" "
      "fill=\"white\"/>\n<text x=\"{}\" y=\"20\" font-size=\"14\">bog bench: latency and "
      "throughput per backend (groups: batch/seq/threads; log scale; only rows with passing "
      "parity)</text>\n",
      width, height, left);
  const char* metrics[2][2] = {{"mean_ms", "mean latency, ms"},
                               {"samples_per_s", "throughput, samples/s"}};
  for (int p = 0; p < 2; ++p) {
    const int y0 = top + p * (panel_h + 70);
    double lo = 1e300, hi = 0;
    for (const auto& [k, r] : rows) {
      if (r[metrics[p][0]].is_number() && r[metrics[p][0]].get<double>() > 0) {
        lo = std::min(lo, r[metrics[p][0]].get<double>());
        hi = std::max(hi, r[metrics[p][0]].get<double>());
      }
    }
    o << fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", left, y0 + 12, metrics[p][1]);
    o << fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>\n", left,
                     y0 + panel_h, width - 150, y0 + panel_h);
    if (hi <= 0) continue;
    const double llo = std::log10(lo) - 0.5, lhi = std::log10(hi) + 0.1;
    o << fmt::format("<text x=\"4\" y=\"{}\">{:.3g}</text>\n<text x=\"4\" y=\"{}\">{:.3g}</text>\n",
                     y0 + 24, hi, y0 + panel_h, std::pow(10.0, llo));
    for (size_t ci = 0; ci < cells.size(); ++ci) {
      const int gx = left + static_cast<int>(ci) * group_w + gap / 2;
      for (size_t li = 0; li < labels.size(); ++li) {
        const auto it = rows.find({cells[ci], labels[li]});
        if (it == rows.end() || !it->second[metrics[p][0]].is_number()) continue;
        const double v = it->second[metrics[p][0]].get<double>();
        if (v <= 0) continue;
        const double h = (std::log10(v) - llo) / (lhi - llo) * (panel_h - 20);
        o << fmt::format(
            "<rect x=\"{}\" y=\"{:.1f}\" width=\"{}\" height=\"{:.1f}\" fill=\"{}\"><title>{} {}: "
            "{:.4g}</title></rect>\n",
            gx + static_cast<int>(li) * bar, y0 + panel_h - h, bar - 2, h, kColors[li % 8],
            xml_escape(labels[li]), xml_escape(cells[ci]), v);
      }
      o << fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"9\">{}</text>\n", gx, y0 + panel_h + 14,
                       xml_escape(cells[ci]));
    }
  }
  for (size_t li = 0; li < labels.size(); ++li) {
    const int y = top + 20 + static_cast<int>(li) * 16;
    o << fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" "
        "y=\"{}\">{}</text>\n",
        width - 140, y, kColors[li % 8], width - 125, y + 9, xml_escape(labels[li]));
  }
  o << "</svg>\n";
  return o.str();
}

void write_bench_outputs(const json& report, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  write_file_atomic(dir / "bench.json", report.dump(2) + "\n");
  write_file_atomic(dir / "bench.csv", rows_csv(report.at("rows")));
  write_file_atomic(dir / "bench.md", "# Benchmark matrix\n\n" + report_markdown(report));
  write_file_atomic(dir / "bench.svg", report_svg(report));
}

}  // namespace bog::bench
