// The generation benchmark's report: JSON with a summary of ratios, Markdown, terminal lines.
#include <fmt/format.h>

#include <map>
#include <sstream>

#include "bench/generate_bench.h"
#include "common/atomic_file.h"

namespace bog::bench {
namespace {

using nlohmann::json;

bool is_result(const json& r) {
  return parity_is_result(r.value("parity_status", "")) && r.contains("decode_tokens_per_s") &&
         r["decode_tokens_per_s"].is_number();
}

std::string cell(const json& r) {
  return fmt::format("{}/{}/{}/{}", r.value("batch", 0), r.value("threads", 0),
                     r.value("prompt_len", 0), r.value("new_tokens", 0));
}

std::string label(const json& r) {
  if (r.value("backend", "") != "onnxruntime") return "interp:" + r.value("provider_requested", "");
  return r.value("baseline", false) ? "ort (baseline)" : "ort";
}

std::string num(const json& v, const char* f = "{:.2f}") {
  return v.is_number() ? fmt::format(fmt::runtime(f), v.get<double>()) : "—";
}

}  // namespace

json generate_report_json(const BenchResult& r) {
  std::map<std::string, double> ort_tps, ort_baseline_tps;
  std::map<std::string, double> uncached;  // label + cell -> uncached tokens/s
  for (const json& row : r.rows) {
    if (!is_result(row)) continue;
    const double tps = row["decode_tokens_per_s"].get<double>();
    if (row.value("backend", "") == "onnxruntime")
      (row.value("baseline", false) ? ort_baseline_tps : ort_tps)[cell(row)] = tps;
    if (row.value("mode", "") == "uncached") uncached[label(row) + "@" + cell(row)] = tps;
  }
  json summary = json::array();
  for (const json& row : r.rows) {
    if (!is_result(row) || row.value("backend", "") == "onnxruntime") continue;
    const double tps = row["decode_tokens_per_s"].get<double>();
    json s = {{"backend", label(row)},
              {"mode", row["mode"]},
              {"cache_used", row["cache_used"]},
              {"batch", row["batch"]},
              {"threads", row["threads"]},
              {"prompt_len", row["prompt_len"]},
              {"new_tokens", row["new_tokens"]},
              {"decode_tokens_per_s", tps},
              {"tokens_match_ort", row["tokens_match_ort"]},
              {"ratio_to_ort", nullptr},
              {"ratio_to_ort_baseline", nullptr},
              {"cached_over_uncached", nullptr}};
    if (row.value("mode", "") == "cached") {
      const auto o = ort_tps.find(cell(row));
      if (o != ort_tps.end() && o->second > 0) s["ratio_to_ort"] = tps / o->second;
      const auto ob = ort_baseline_tps.find(cell(row));
      if (ob != ort_baseline_tps.end() && ob->second > 0)
        s["ratio_to_ort_baseline"] = tps / ob->second;
      const auto u = uncached.find(label(row) + "@" + cell(row));
      if (u != uncached.end() && u->second > 0) s["cached_over_uncached"] = tps / u->second;
    }
    summary.push_back(std::move(s));
  }
  return {{"schema", kGenerateSchema},
          {"environment", r.environment},
          {"ort_version", r.ort_version},
          {"artifact", r.artifact},
          {"rows", r.rows},
          {"summary", summary}};
}

std::string generate_report_markdown(const json& report) {
  std::ostringstream o;
  const json& a = report.at("artifact");
  o << "# Generation benchmark\n\n";
  o << fmt::format(
      "Artifact `{}` (sha256 `{}`), parity report {}{}. ONNX Runtime {}.\n\n", a.value("file", ""),
      a.value("sha256", "").substr(0, 12), a.value("parity_report", "missing"),
      a.value("parity_passed", false) ? " (passed)" : "",
      report.value("ort_version", "") == "" ? "absent" : report.value("ort_version", ""));
  o << "Greedy decoding of deterministic prompt ids; decode figures over the decode steps (the "
       "first token comes from prefill).\n\n";
  o << "| backend | mode | cache | batch | threads | prompt | new | prefill ms | decode ms p50 "
       "| decode tok/s | tokens = ORT | note |\n";
  o << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const json& r : report.at("rows")) {
    const json& m = r["tokens_match_ort"];
    o << fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", label(r),
        r.value("mode", ""), r["cache_used"].is_string() ? r["cache_used"].get<std::string>() : "—",
        r.value("batch", 0), r.value("threads", 0), r.value("prompt_len", 0),
        r.value("new_tokens", 0), num(r["prefill_ms"]), num(r["decode_ms_p50"], "{:.3f}"),
        num(r["decode_tokens_per_s"], "{:.1f}"),
        m.is_boolean() ? (m.get<bool>() ? "yes" : "**no**") : "—", r.value("note", ""));
  }
  // The baseline column only when ONNX Runtime also ran a baseline file.
  const bool baseline = a.contains("baseline");
  if (baseline) {
    o << fmt::format("\nBaseline: ONNX Runtime also ran `{}` (sha256 `{}`) in the same rounds.\n",
                     a["baseline"].value("file", ""),
                     a["baseline"].value("sha256", "").substr(0, 12));
  }
  o << "\n| backend | mode | batch | threads | new | decode tok/s | × ORT |"
    << (baseline ? " × ORT on baseline |" : "") << " cached / uncached |\n";
  o << "|---|---|---|---|---|---|---|" << (baseline ? "---|" : "") << "---|\n";
  for (const json& s : report.at("summary")) {
    o << fmt::format("| {} | {} | {} | {} | {} | {} | {} |", s.value("backend", ""),
                     s.value("mode", ""), s.value("batch", 0), s.value("threads", 0),
                     s.value("new_tokens", 0), num(s["decode_tokens_per_s"], "{:.1f}"),
                     num(s["ratio_to_ort"]));
    if (baseline) o << fmt::format(" {} |", num(s.value("ratio_to_ort_baseline", json())));
    o << fmt::format(" {} |\n", num(s["cached_over_uncached"], "{:.1f}"));
  }
  return o.str();
}

std::string generate_terminal_table(const json& report) {
  std::string out;
  for (const json& r : report.at("rows")) {
    std::string line = fmt::format("{:<16} {:<8} batch {} threads {} prompt {} new {}: ", label(r),
                                   r.value("mode", ""), r.value("batch", 0), r.value("threads", 0),
                                   r.value("prompt_len", 0), r.value("new_tokens", 0));
    if (is_result(r)) {
      line +=
          fmt::format("prefill {} ms, decode p50 {} ms, {} tokens/s", num(r["prefill_ms"]),
                      num(r["decode_ms_p50"], "{:.3f}"), num(r["decode_tokens_per_s"], "{:.1f}"));
      if (r["tokens_match_ort"].is_boolean())
        line += r["tokens_match_ort"].get<bool>() ? ", tokens = ORT's" : ", TOKENS DIFFER FROM ORT";
    } else {
      line += "no result (" + r.value("note", "") + ")";
    }
    out += line + "\n";
  }
  for (const json& s : report.at("summary")) {
    if (s["ratio_to_ort"].is_number())
      out += fmt::format("{} {}: {:.2f}x ONNX Runtime's decode tokens/s\n", s.value("backend", ""),
                         s.value("mode", ""), s["ratio_to_ort"].get<double>());
    if (s.value("ratio_to_ort_baseline", json()).is_number())
      out += fmt::format("{} {}: {:.2f}x ONNX Runtime's decode tokens/s on the baseline file\n",
                         s.value("backend", ""), s.value("mode", ""),
                         s["ratio_to_ort_baseline"].get<double>());
    if (s["cached_over_uncached"].is_number())
      out += fmt::format("{}: cached {:.1f}x uncached\n", s.value("backend", ""),
                         s["cached_over_uncached"].get<double>());
  }
  return out;
}

void write_generate_outputs(const json& report, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  write_file_atomic(dir / "generate.json", report.dump(2) + "\n");
  write_file_atomic(dir / "generate.md", generate_report_markdown(report));
}

}  // namespace bog::bench
