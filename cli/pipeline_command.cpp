// `bog pipeline` (run by `make demo`): export -> check -> parity -> bench -> evidence collect ->
// validate on one bundle (bench/pipeline.h), then the matrix with requested and used provider
// per row.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/bench_report.h"
#include "bench/pipeline.h"
#include "cli/commands.h"

namespace bog::cli {

void add_pipeline_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "pipeline", "export -> check -> parity -> bench -> evidence collect -> validate");
  auto a = std::make_shared<bench::PipelineOptions>();
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
    const bench::PipelineResult r =
        bench::run_pipeline(*a, [](const std::string& s) { std::cerr << s; });
    const nlohmann::json& report = r.bench_report;
    const std::vector<nlohmann::json>& accuracy = r.accuracy;
    const std::vector<bench::EvidenceIssue>& issues = r.issues;
    std::cout << "\nBenchmark matrix (requested and used provider per row; timings only where "
                 "parity passed)\n";
    std::cout << bench::report_terminal_table(report);
    if (!accuracy.empty()) {
      std::cout << "\nAccuracy on AG News test.csv\n";
      for (const nlohmann::json& e : accuracy) {
        std::cout << fmt::format("  {:<22} {:.4f}  (macro-F1 {:.4f}, n {})\n",
                                 e["model"].get<std::string>(), e["accuracy"].get<double>(),
                                 e["macro_f1"].get<double>(), e["n"].get<int64_t>());
      }
    }
    std::cout << fmt::format("sgemm peak {:.1f} GFLOP/s; parity {}; evidence {} ({})\n",
                             r.sgemm_gflops, r.parity_passed ? "passed" : "FAILED", a->evidence,
                             issues.empty() ? "valid" : "INVALID");
    if (!issues.empty()) {
      throw CommandFailed(fmt::format("evidence validate: {} problem(s)", issues.size()));
    }
  });
}

}  // namespace bog::cli
