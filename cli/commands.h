// One registration function per `bog` subcommand; each lives in cli/<name>_command.cpp.
// A command parses its flags, does its stage's work, prints human text (or one JSON object
// with --json) and throws bog::Error on failure; main() maps errors to exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <stdexcept>

namespace bog::cli {

// Thrown by a command that ran to the end but whose verdict is "no" (a conformance regression,
// a --compare mismatch) after it printed its report: main() prints the message, exits 1.
class CommandFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void add_doctor_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_bundle_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_data_command(CLI::App& app);
void add_tokenizer_command(CLI::App& app);
void add_baseline_command(CLI::App& app);
void add_conformance_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_parity_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_evidence_command(CLI::App& app);
void add_pipeline_command(CLI::App& app);
void add_quantize_command(CLI::App& app);
void add_tune_command(CLI::App& app);
void add_runs_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_loadtest_command(CLI::App& app);
void add_generate_command(CLI::App& app);

}  // namespace bog::cli
