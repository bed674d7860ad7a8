// `bog evidence collect`: run outputs -> docs/evidence/, sanitized.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/bench_report.h"
#include "bench/bench_runner.h"
#include "bench/bench_stats.h"
#include "bench/evidence.h"
#include "common/atomic_file.h"
#include "common/error.h"

namespace bog::bench {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kRealSizesHeading = "## Real sizes";

struct Inputs {
  std::vector<json> bench, parity, eval, quant, exports;
};

Inputs read_inputs(const fs::path& from) {
  Inputs in;
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(from)) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());  // stable order: same inputs, same evidence
  for (const fs::path& p : files) {
    json j;
    try {
      j = json::parse(read_file(p));
    } catch (const std::exception&) {
      continue;  // not ours
    }
    if (!j.is_object()) continue;
    const std::string schema = j.value("schema", "");
    if (schema == kBenchSchema) {
      in.bench.push_back(std::move(j));
    } else if (j.contains("artifact_sha256") && j.contains("results")) {
      in.parity.push_back(std::move(j));
    } else if (schema.starts_with("bog-quant")) {
      in.quant.push_back(std::move(j));
    } else if (j.contains("checker") && j.contains("nodes")) {
      in.exports.push_back(std::move(j));
    } else if (j.contains("accuracy")) {
      in.eval.push_back(std::move(j));
    }
  }
  return in;
}

std::string yesno(bool b) { return b ? "passed" : "FAILED"; }

}  // namespace

CollectSummary collect_evidence(const fs::path& from, const fs::path& out) {
  std::error_code ec;
  if (!fs::is_directory(from, ec)) {
    throw Error(
        ErrorCategory::kInvalidArgument,
        fmt::format("evidence collect: --from {} is not a folder", from.filename().string()));
  }
  Inputs in = read_inputs(from);
  if (in.bench.empty() && in.parity.empty()) {
    throw Error(ErrorCategory::kInvalidArgument,
                "evidence collect: no bench or parity report found under --from");
  }
  fs::create_directories(out);
  // Files written only when their reports exist: a previous run's copy must not outlive it.
  for (const char* optional_file : {"eval.json", "accuracy.md"})
    fs::remove(out / optional_file, ec);
  const std::vector<std::string> names = local_identity_names();
  CollectSummary sum;
  auto write = [&](const std::string& name, const std::string& text) {
    write_file_atomic(out / name, sanitize(text, names));
    sum.files.push_back(name);
  };

  // Environment.
  json env = environment_json();
  for (const json& b : in.bench) {
    if (!b.value("ort_version", "").empty()) env["onnxruntime_node"] = b["ort_version"];
    env["sgemm_gflops_single_thread"] = b.value("sgemm_gflops", 0.0);
    env["gemm_peak_gflops_single_thread"] = b.value("gemm_peak_gflops", 0.0);
    env["fma_peak_gflops_single_thread"] = b.value("fma_peak_gflops", 0.0);
  }
  write("environment.json", env.dump(2) + "\n");
  {
    std::ostringstream o;
    o << "# Environment\n\n| key | value |\n|---|---|\n";
    for (const auto& [k, v] : env.items()) {
      o << "| " << k << " | " << (v.is_string() ? v.get<std::string>() : v.dump()) << " |\n";
    }
    write("environment.md", o.str());
  }

  // Parity.
  std::ostringstream parity_md;
  parity_md << "# Parity\n\nEach ONNX artifact's logits on every provider against the Eigen eager "
               "model (the reference), under the tolerance policy.\n\n";
  json parity_all = json::array();
  for (const json& p : in.parity) {
    ++sum.parity_reports;
    parity_all.push_back(p);
    const json tol = p.value("tolerance", json::object());
    parity_md << fmt::format(
        "## {} ({})\n\nsha256 `{}`; texts: {}; samples {}; atol {}, rtol {}; "
        "overall: {}\n\n",
        p.value("artifact", "?"), yesno(p.value("passed", false)), p.value("artifact_sha256", ""),
        p.value("texts", ""), p.value("samples", 0), tol.value("atol", 0.0), tol.value("rtol", 0.0),
        yesno(p.value("passed", false)));
    parity_md << "| provider requested | provider used | max abs diff | argmax agreement | "
                 "result | note |\n|---|---|---|---|---|---|\n";
    for (const json& r : p.value("results", json::array())) {
      std::string note = r.value("error", "");
      const auto fb = r.value("fallback_reasons", std::vector<std::string>{});
      if (!fb.empty()) {
        note += (note.empty() ? "" : "; ") + fmt::format("fallback: {}", fmt::join(fb, "; "));
      }
      const std::string mad = r.contains("max_abs_diff") && r["max_abs_diff"].is_number()
                                  ? fmt::format("{:.3g}", r["max_abs_diff"].get<double>())
                                  : "—";
      const std::string agree = r.contains("argmax_agreement") && r["argmax_agreement"].is_number()
                                    ? fmt::format("{:.4f}", r["argmax_agreement"].get<double>())
                                    : "—";
      parity_md << fmt::format("| {} | {} | {} | {} | {} | {} |\n",
                               r.value("provider_requested", ""), r.value("provider_used", ""), mad,
                               agree, yesno(r.value("passed", false)), note);
      if (!r.value("passed", false)) {
        sum.warnings.push_back(fmt::format(
            "parity failed for provider '{}' on {}{}", r.value("provider_requested", ""),
            p.value("artifact", "?"), note.empty() ? "" : ": " + note));
      }
    }
    parity_md << "\n";
  }
  if (in.parity.empty()) parity_md << "No parity report was found: no benchmark row is a result.\n";
  write("parity.md", parity_md.str());
  write("parity.json", parity_all.dump(2) + "\n");

  // Benchmark matrix.
  std::ostringstream bench_md;
  bench_md << "# Benchmark matrix\n\n";
  json bench_all = json::array();
  for (const json& b : in.bench) {
    bench_md << report_markdown(b) << "\n";
    for (const json& r : b.value("rows", json::array())) {
      ++sum.bench_rows;
      if (r["mean_ms"].is_number()) ++sum.result_rows;
      const std::string req = r.value("provider_requested", "");
      const std::string used = r.value("provider_used", "");
      if (r.value("backend", "") == "interpreter" && req != used) {
        sum.warnings.push_back(fmt::format(
            "batch {} seq {}: requested provider '{}' ran as '{}' ({}): {}", r.value("batch", 0),
            r.value("seq_len", 0), req, used, r.value("fallback_reason", ""), kFallbackCaveat));
      }
      if (!parity_is_result(r.value("parity_status", ""))) {
        sum.warnings.push_back(fmt::format("{} {} batch {} seq {}: parity {}; timings withheld",
                                           r.value("backend", ""), req, r.value("batch", 0),
                                           r.value("seq_len", 0), r.value("parity_status", "")));
      }
    }
    bench_all.push_back(b);
  }
  if (in.bench.empty()) bench_md << "No benchmark report was found.\n";
  // The "Real sizes" section is written by hand from scripts/real_sizes.sh (those models are
  // not committed, so no report of theirs is here to collect): it survives a new collection.
  if (std::error_code ec; fs::is_regular_file(out / "benchmark.md", ec)) {
    const std::string before = read_file(out / "benchmark.md");
    if (const size_t at = before.find(kRealSizesHeading); at != std::string::npos) {
      bench_md << "\n" << before.substr(at);
    }
  }
  write("benchmark.md", bench_md.str());
  write("benchmark.json", (bench_all.size() == 1 ? bench_all[0] : bench_all).dump(2) + "\n");
  if (!in.bench.empty()) {
    write("benchmark.csv", rows_csv(in.bench.back().at("rows")));
    write("benchmark.svg", report_svg(in.bench.back()));
  }

  // Quantization: none yet unless a report says otherwise.
  json quant = {{"state", in.quant.empty() ? "none" : "present"}, {"artifacts", json::array()}};
  for (const json& q : in.quant) {
    for (const json& a : q.value("artifacts", json::array())) quant["artifacts"].push_back(a);
  }
  write("quantization.json", quant.dump(2) + "\n");
  {
    std::ostringstream o;
    o << "# Quantization\n\n";
    if (quant["artifacts"].empty()) {
      o << "State: none. No quantized artifact was produced in this run, so there are no size or "
           "latency figures to report.\n";
    } else {
      o << "| artifact | size MB | mean ms | parity |\n|---|---|---|---|\n";
      for (const json& a : quant["artifacts"]) {
        o << fmt::format("| {} | {} | {} | {} |\n", a.value("file", "?"),
                         a.contains("size_mb") ? a["size_mb"].dump() : "—",
                         a.contains("mean_ms") ? a["mean_ms"].dump() : "—",
                         a.value("parity_status", "missing"));
      }
    }
    write("quantization.md", o.str());
  }

  // Accuracy (only when a run had data).
  if (!in.eval.empty()) {
    // Models first, the baseline they are judged against last.
    std::stable_partition(in.eval.begin(), in.eval.end(),
                          [](const json& e) { return e.value("model", "") != "baseline"; });
    sum.eval_reports = static_cast<int>(in.eval.size());
    write("eval.json", json(in.eval).dump(2) + "\n");
    std::ostringstream o;
    o << "# Accuracy\n\nAG News test.csv; every model trained on the train.csv named by its "
         "sha256 (the data README tells the full file from the partial reconstruction).\n\n"
         "| model | architecture | split | n | accuracy | macro-F1 | ECE | NLL | train rows | "
         "train sha256 |\n|---|---|---|---|---|---|---|---|---|---|\n";
    for (const json& e : in.eval) {
      const auto num = [&e](const char* key, const char* spec) {
        return e.contains(key) && e[key].is_number()
                   ? fmt::format(fmt::runtime(spec), e[key].get<double>())
                   : std::string("-");
      };
      o << fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                       e.value("model", "?"), e.value("architecture", "?"), e.value("split", "?"),
                       e.value("n", 0), num("accuracy", "{:.4f}"), num("macro_f1", "{:.4f}"),
                       num("ece", "{:.4f}"), num("nll", "{:.4f}"), e.value("train_rows", 0),
                       e.value("train_sha256", "").substr(0, 12));
    }
    write("accuracy.md", o.str());
  }

  // Validation summary.
  {
    std::ostringstream o;
    o << "# Validation summary\n\n";
    for (const json& e : in.exports) {
      o << fmt::format("- export: {} ({} nodes, {} parameters), onnx checker {}\n",
                       e.value("file", "?"), e.value("nodes", 0), e.value("parameters", 0),
                       e.value("checker", "?"));
    }
    for (const json& p : in.parity) {
      o << fmt::format("- parity of {}: {}\n", p.value("artifact", "?"),
                       yesno(p.value("passed", false)));
    }
    o << fmt::format("- benchmark rows: {} ({} with timings reported as results)\n", sum.bench_rows,
                     sum.result_rows);
    o << fmt::format("- accuracy reports: {}\n", sum.eval_reports);
    o << "- quantization: " << quant["state"].get<std::string>() << "\n";
    write("validation.md", o.str());
  }

  // Warnings and limitations.
  {
    std::ostringstream o;
    o << "# Warnings and limitations\n\n## Warnings\n\n";
    if (sum.warnings.empty()) o << "None.\n";
    for (const std::string& w : sum.warnings) o << "- " << w << "\n";
    o << "\n## Limitations\n\n"
         "- Benchmark inputs are synthetic token ids with a full attention mask; latency does "
         "not depend on the text.\n"
         "- The cuda provider is built where the CUDA toolkit is, but its kernels have not "
         "been verified on a GPU (no GPU machine ran this evidence): a `cuda` row shows the "
         "provider that actually ran, and a row that fell back is "
      << kFallbackCaveat
      << ".\n"
         "- Timings come from a small number of iterations on a shared machine; compare rows "
         "only within one run (backends are interleaved round-robin for that reason).\n"
         "- Rows whose artifact has no passing parity report show no timings.\n";
    if (in.eval.empty()) o << "- No accuracy figures: the run had no AG News data (--data).\n";
    write("warnings.md", o.str());
  }

  // Index last: it lists everything above.
  {
    std::ostringstream o;
    o << "# Evidence\n\nGenerated by `bog evidence collect` from one pipeline run. Every figure "
         "in the README's results section appears in these files; `bog evidence validate` "
         "checks that.\n\n";
    for (const std::string& f : sum.files) o << "- [" << f << "](" << f << ")\n";
    o << fmt::format("\n{} benchmark rows ({} results), {} parity reports, {} warnings.\n",
                     sum.bench_rows, sum.result_rows, sum.parity_reports, sum.warnings.size());
    write("index.md", o.str());
  }
  return sum;
}

}  // namespace bog::bench
