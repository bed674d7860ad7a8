#include "bench/pipeline.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>

#include "bench/bench_config.h"
#include "bench/bench_report.h"
#include "bench/bench_runner.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "model/train/eval_report.h"
#include "onnx_export/exporter.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/session.h"
#include "parity/model_parity.h"
#include "parity/tolerance.h"

namespace bog::bench {
namespace {

namespace fs = std::filesystem;
using Log = std::function<void(const std::string&)>;

// Evidence is collected from every report under `out`: a previous run's must not leak in, and
// evidence inside it would be read back as input.
void prepare_run_folder(const PipelineOptions& o) {
  const fs::path out = o.out;
  fs::create_directories(out);
  for (const char* stale : {"accuracy", "bench", "export.json", "model.onnx.parity.json"}) {
    fs::remove_all(out / stale);
  }
  const fs::path ro = fs::weakly_canonical(out), re = fs::weakly_canonical(o.evidence);
  const auto [oi, ei] = std::mismatch(ro.begin(), ro.end(), re.begin(), re.end());
  if (oi == ro.end()) {
    throw Error(ErrorCategory::kInvalidArgument,
                "--evidence must not be inside --out (collect reads every report under --out)");
  }
  if (!o.also_eval.empty() && o.data.empty()) {
    throw Error(ErrorCategory::kInvalidArgument, "--also-eval needs --data");
  }
}

void export_step(const PipelineOptions& o, const fs::path& onnx, const Log& log) {
  const onnx_export::ExportSummary ex =
      onnx_export::export_bundle(o.bundle, onnx, onnx_export::ExportOptions{});
  write_file_atomic(fs::path(o.out) / "export.json",
                    nlohmann::json{{"file", ex.file.filename().string()},
                                   {"nodes", ex.nodes},
                                   {"parameters", ex.parameters},
                                   {"bytes", ex.bytes},
                                   {"checker", "passed"}}
                            .dump(2) +
                        "\n");
  log(fmt::format("{} nodes, {} parameters, {:.2f} MB; onnx checker passed\n", ex.nodes,
                  ex.parameters, ex.bytes / 1e6));
}

void check_step(const fs::path& onnx, const Log& log) {
  runtime::Session s(runtime::load_model(onnx), runtime::SessionOptions{});
  log(fmt::format("{} inputs, {} outputs; placed on {}\n", s.input_infos().size(),
                  s.output_infos().size(), fmt::join(s.placement().used, "+")));
}

bool parity_step(const PipelineOptions& o, const fs::path& onnx, const Log& log) {
  parity::ParityRequest pr;
  pr.bundle = o.bundle;
  pr.onnx = onnx;
  pr.providers = {"reference", "cpu", "ort"};
  if (!o.data.empty()) pr.data = fs::path(o.data);
  pr.samples = o.samples;
  pr.batch_sizes = {1, 8};
  std::error_code ec;
  if (fs::exists(o.export_config, ec)) pr.policy = parity::load_tolerance_policy(o.export_config);
  const parity::ParityReport rep = parity::run_model_parity(pr);
  parity::write_parity_report(onnx, rep);
  for (const parity::ProviderParity& r : rep.results) {
    log(fmt::format("  {:<10} used {:<16} {}{}\n", r.provider_requested,
                    r.provider_used.empty() ? "-" : r.provider_used, r.passed ? "passed" : "FAILED",
                    r.error.empty() ? "" : " (" + r.error + ")"));
  }
  return rep.passed;
}

void bench_step(const PipelineOptions& o, const fs::path& onnx, const Log& log,
                PipelineResult& result) {
  BenchConfig bc;
  bc.onnx = onnx;
  bc.bundle = o.bundle;
  bc.backends = {"eager", "reference", "cpu", "ort", "cuda"};
  bc.batch = {1, 8, 32};
  bc.seq = {32, 128};
  bc.threads = {1, 2};
  bc.warmup = o.warmup;
  bc.iterations = o.iterations;
  // Backends interleaved (ratios measured side by side); a round needs an iteration.
  bc.rounds = std::max(1, std::min(4, o.iterations));
  bc.out = fs::path(o.out) / "bench";
  const BenchResult br = run_bench(bc, [&log](const std::string& s) { log("bench: " + s + "\n"); });
  result.bench_report = bench_report_json(br);
  result.sgemm_gflops = br.sgemm_gflops;
  write_bench_outputs(result.bench_report, bc.out);
}

std::vector<nlohmann::json> accuracy_step(const PipelineOptions& o, const Log& log) {
  const fs::path dir = fs::path(o.out) / "accuracy";
  fs::create_directories(dir);
  std::vector<std::string> bundles = {o.bundle};
  bundles.insert(bundles.end(), o.also_eval.begin(), o.also_eval.end());
  std::vector<nlohmann::json> accuracy;
  for (const std::string& b : bundles) {
    accuracy.push_back(model::evaluate_bundle(b, o.data, "test").report);
    write_file_atomic(dir / ("eval_" + fs::path(b).filename().string() + ".json"),
                      accuracy.back().dump(2) + "\n");
  }
  accuracy.push_back(model::run_baseline(o.data, model::BaselineConfig{}));
  write_file_atomic(dir / "baseline.json", accuracy.back().dump(2) + "\n");
  for (const nlohmann::json& r : accuracy) {
    log(fmt::format("  {:<22} accuracy {:.4f}  macro-F1 {:.4f}  n {}\n",
                    r["model"].get<std::string>(), r["accuracy"].get<double>(),
                    r["macro_f1"].get<double>(), r["n"].get<int64_t>()));
  }
  return accuracy;
}

}  // namespace

PipelineResult run_pipeline(const PipelineOptions& o, const Log& log) {
  const auto t0 = std::chrono::steady_clock::now();
  auto step = [&t0, &log](const std::string& s) {
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    log(fmt::format("\n== [{:6.1f}s] {}\n", secs, s));
  };
  PipelineResult result;
  prepare_run_folder(o);
  const fs::path onnx = fs::path(o.out) / "model.onnx";

  step("export " + o.bundle);
  export_step(o, onnx, log);

  step("check: load and place on the interpreter");
  check_step(onnx, log);

  step("parity: reference, cpu, ort against the eager model");
  result.parity_passed = parity_step(o, onnx, log);

  step("bench: eager, reference, cpu, ort, cuda; batch 1,8,32; seq 32,128; threads 1,2");
  bench_step(o, onnx, log, result);

  if (!o.data.empty()) {
    step("accuracy on test.csv: bundles and the fastText-style baseline");
    result.accuracy = accuracy_step(o, log);
  }

  step("evidence collect -> " + o.evidence);
  const CollectSummary cs = collect_evidence(o.out, o.evidence);
  log(fmt::format("{} files, {} warnings\n", cs.files.size(), cs.warnings.size()));

  step("evidence validate " + o.evidence);
  ValidateOptions vo;
  vo.dir = o.evidence;
  if (!o.readme.empty()) vo.readme = fs::path(o.readme);
  result.issues = validate_evidence(vo);
  for (const EvidenceIssue& i : result.issues) log(i.file + ": " + i.problem + "\n");
  return result;
}

}  // namespace bog::bench
