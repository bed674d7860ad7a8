// `bog pipeline` (run by `make demo`): export -> check -> parity -> bench -> evidence collect ->
// validate on one bundle, then the matrix with requested and used provider per row.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bench/bench_config.h"
#include "bench/bench_report.h"
#include "bench/bench_runner.h"
#include "bench/evidence.h"
#include "cli/commands.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "model/train/eval_report.h"
#include "onnx_export/exporter.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/session.h"
#include "parity/model_parity.h"
#include "parity/tolerance.h"

namespace bog::cli {
namespace fs = std::filesystem;

void add_pipeline_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "pipeline", "export -> check -> parity -> bench -> evidence collect -> validate");
  struct Args {
    std::string bundle = "models/agnews-tiny-llama", data, out = "runs/pipeline";
    std::string evidence = "docs/evidence", export_config = "configs/export.yaml", readme;
    std::vector<std::string> also_eval;
    int samples = 64, iterations = 5, warmup = 1;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--bundle", a->bundle, "Bundle directory")->check(CLI::ExistingDirectory);
  cmd->add_option("--data", a->data,
                  "AG News folder: parity on its test texts, and accuracy rows (bundle and "
                  "baseline on test.csv)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--also-eval", a->also_eval, "With --data: more bundles to score on test.csv")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--out", a->out, "Run folder (artifact, reports)");
  cmd->add_option("--evidence", a->evidence, "Evidence folder written at the end");
  cmd->add_option("--export-config", a->export_config, "Tolerance policy");
  cmd->add_option("--readme", a->readme, "Also check this README's results figures");
  cmd->add_option("--samples", a->samples, "Parity texts");
  cmd->add_option("--iterations", a->iterations, "Timed runs per bench row");
  cmd->add_option("--warmup", a->warmup, "Untimed runs per bench row");
  cmd->callback([a] {
    const auto t0 = std::chrono::steady_clock::now();
    auto step = [&t0](const std::string& s) {
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::cerr << fmt::format("\n== [{:6.1f}s] {}\n", secs, s);
    };
    const fs::path out = a->out;
    fs::create_directories(out);
    const fs::path onnx = out / "model.onnx";
    // Evidence is collected from every report under `out`: a previous run's must not leak in.
    for (const char* stale : {"accuracy", "bench", "export.json", "model.onnx.parity.json"}) {
      fs::remove_all(out / stale);
    }
    {
      // collect reads every report under `out`; evidence inside it would be read back as input.
      const fs::path o = fs::weakly_canonical(out), e = fs::weakly_canonical(a->evidence);
      const auto [oi, ei] = std::mismatch(o.begin(), o.end(), e.begin(), e.end());
      if (oi == o.end()) {
        throw Error(ErrorCategory::kInvalidArgument,
                    "--evidence must not be inside --out (collect reads every report under --out)");
      }
    }
    if (!a->also_eval.empty() && a->data.empty()) {
      throw Error(ErrorCategory::kInvalidArgument, "--also-eval needs --data");
    }

    step("export " + a->bundle);
    const onnx_export::ExportSummary ex =
        onnx_export::export_bundle(a->bundle, onnx, onnx_export::ExportOptions{});
    write_file_atomic(out / "export.json", nlohmann::json{{"file", ex.file.filename().string()},
                                                          {"nodes", ex.nodes},
                                                          {"parameters", ex.parameters},
                                                          {"bytes", ex.bytes},
                                                          {"checker", "passed"}}
                                                   .dump(2) +
                                               "\n");
    std::cerr << fmt::format("{} nodes, {} parameters, {:.2f} MB; onnx checker passed\n", ex.nodes,
                             ex.parameters, ex.bytes / 1e6);

    step("check: load and place on the interpreter");
    {
      runtime::Session s(runtime::load_model(onnx), runtime::SessionOptions{});
      std::cerr << fmt::format("{} inputs, {} outputs; placed on {}\n", s.input_infos().size(),
                               s.output_infos().size(), fmt::join(s.placement().used, "+"));
    }

    step("parity: reference, cpu, ort against the eager model");
    parity::ParityRequest pr;
    pr.bundle = a->bundle;
    pr.onnx = onnx;
    pr.providers = {"reference", "cpu", "ort"};
    if (!a->data.empty()) pr.data = fs::path(a->data);
    pr.samples = a->samples;
    pr.batch_sizes = {1, 8};
    std::error_code ec;
    if (fs::exists(a->export_config, ec))
      pr.policy = parity::load_tolerance_policy(a->export_config);
    const parity::ParityReport rep = parity::run_model_parity(pr);
    parity::write_parity_report(onnx, rep);
    for (const parity::ProviderParity& r : rep.results) {
      std::cerr << fmt::format("  {:<10} used {:<16} {}{}\n", r.provider_requested,
                               r.provider_used.empty() ? "-" : r.provider_used,
                               r.passed ? "passed" : "FAILED",
                               r.error.empty() ? "" : " (" + r.error + ")");
    }

    step("bench: eager, reference, cpu, ort, cuda; batch 1,8,32; seq 32,128; threads 1,2");
    bench::BenchConfig bc;
    bc.onnx = onnx;
    bc.bundle = a->bundle;
    bc.backends = {"eager", "reference", "cpu", "ort", "cuda"};
    bc.batch = {1, 8, 32};
    bc.seq = {32, 128};
    bc.threads = {1, 2};
    bc.warmup = a->warmup;
    bc.iterations = a->iterations;
    // Backends interleaved (ratios measured side by side); a round needs an iteration.
    bc.rounds = std::max(1, std::min(4, a->iterations));
    bc.out = out / "bench";
    const bench::BenchResult br =
        bench::run_bench(bc, [](const std::string& s) { std::cerr << "bench: " << s << "\n"; });
    const nlohmann::json report = bench::bench_report_json(br);
    bench::write_bench_outputs(report, bc.out);

    std::vector<nlohmann::json> accuracy;
    if (!a->data.empty()) {
      step("accuracy on test.csv: bundles and the fastText-style baseline");
      fs::create_directories(out / "accuracy");
      std::vector<std::string> bundles = {a->bundle};
      bundles.insert(bundles.end(), a->also_eval.begin(), a->also_eval.end());
      for (const std::string& b : bundles) {
        accuracy.push_back(model::evaluate_bundle(b, a->data, "test").report);
        write_file_atomic(out / "accuracy" / ("eval_" + fs::path(b).filename().string() + ".json"),
                          accuracy.back().dump(2) + "\n");
      }
      accuracy.push_back(model::run_baseline(a->data, model::BaselineConfig{}));
      write_file_atomic(out / "accuracy" / "baseline.json", accuracy.back().dump(2) + "\n");
      for (const nlohmann::json& r : accuracy) {
        std::cerr << fmt::format("  {:<22} accuracy {:.4f}  macro-F1 {:.4f}  n {}\n",
                                 r["model"].get<std::string>(), r["accuracy"].get<double>(),
                                 r["macro_f1"].get<double>(), r["n"].get<int64_t>());
      }
    }

    step("evidence collect -> " + a->evidence);
    const bench::CollectSummary cs = bench::collect_evidence(out, a->evidence);
    std::cerr << fmt::format("{} files, {} warnings\n", cs.files.size(), cs.warnings.size());

    step("evidence validate " + a->evidence);
    bench::ValidateOptions vo;
    vo.dir = a->evidence;
    if (!a->readme.empty()) vo.readme = fs::path(a->readme);
    const std::vector<bench::EvidenceIssue> issues = bench::validate_evidence(vo);
    for (const bench::EvidenceIssue& i : issues) std::cerr << i.file << ": " << i.problem << "\n";

    std::cout << "\nBenchmark matrix (requested and used provider per row; timings only where "
                 "parity passed)\n";
    std::cout << bench::report_terminal_table(report);
    if (!accuracy.empty()) {
      std::cout << "\nAccuracy on AG News test.csv\n";
      for (const nlohmann::json& r : accuracy) {
        std::cout << fmt::format("  {:<22} {:.4f}  (macro-F1 {:.4f}, n {})\n",
                                 r["model"].get<std::string>(), r["accuracy"].get<double>(),
                                 r["macro_f1"].get<double>(), r["n"].get<int64_t>());
      }
    }
    std::cout << fmt::format("sgemm peak {:.1f} GFLOP/s; parity {}; evidence {} ({})\n",
                             br.sgemm_gflops, rep.passed ? "passed" : "FAILED", a->evidence,
                             issues.empty() ? "valid" : "INVALID");
    if (!issues.empty()) {
      throw CommandFailed(fmt::format("evidence validate: {} problem(s)", issues.size()));
    }
  });
}

}  // namespace bog::cli
