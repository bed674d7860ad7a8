// `bog pipeline` (run by `make demo`): export -> check -> parity -> bench -> accuracy ->
// evidence collect -> validate on one bundle, each step a function of its stage's library.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/evidence.h"

namespace bog::bench {

struct PipelineOptions {
  std::string bundle = "models/agnews-tiny-llama";
  std::string data;  // AG News folder: parity on its test texts, and accuracy rows
  std::string out = "runs/pipeline";
  std::string evidence = "docs/evidence";
  std::string export_config = "configs/export.yaml";
  std::string readme;                  // also check this README's results figures
  std::vector<std::string> also_eval;  // with data: more bundles scored on test.csv
  int samples = 64, iterations = 5, warmup = 1;
};

struct PipelineResult {
  nlohmann::json bench_report;  // bench_report_json of the matrix
  double sgemm_gflops = 0;
  bool parity_passed = false;
  std::vector<nlohmann::json> accuracy;  // bog-eval 1 reports: the bundles, then the baseline
  std::vector<EvidenceIssue> issues;     // of evidence validate
};

// Runs every step; `log` receives the progress text as it comes (step headers
// "\n== [  12.3s] NAME\n" and each step's lines, newline-terminated). Error on a step that
// cannot run (kInvalidArgument for --evidence inside --out, or --also-eval without --data).
[[nodiscard]] PipelineResult run_pipeline(const PipelineOptions& options,
                                          const std::function<void(const std::string&)>& log);

}  // namespace bog::bench
