// The `bog` executable: one subcommand per pipeline stage. Errors print one line,
// "error[<category>]: <message>", and exit with the category's code.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "common/error.h"
#include "onnx_runtime/execution_provider.h"

int main(int argc, char** argv) {
  CLI::App app{"bog: train, export, run and benchmark small transformer text classifiers"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "bog 0.1.0");
  // Global: valid before or after the subcommand (fallthrough), read when a cuda provider is made.
  app.add_flag_callback(
      "--allow-tf32", [] { bog::runtime::set_allow_tf32(true); },
      "Let the cuda provider use TF32 tensor cores for MatMul/Gemm (off by default: plain fp32)");
  app.fallthrough();
  spdlog::set_pattern("%v");
  spdlog::set_level(spdlog::level::warn);

  bog::cli::add_doctor_command(app);
  bog::cli::add_train_command(app);
  bog::cli::add_bundle_command(app);
  bog::cli::add_eval_command(app);
  bog::cli::add_predict_command(app);
  bog::cli::add_data_command(app);
  bog::cli::add_tokenizer_command(app);
  bog::cli::add_baseline_command(app);
  bog::cli::add_conformance_command(app);
  bog::cli::add_run_command(app);
  bog::cli::add_inspect_command(app);
  bog::cli::add_export_command(app);
  bog::cli::add_quantize_command(app);
  bog::cli::add_parity_command(app);
  bog::cli::add_bench_command(app);
  bog::cli::add_evidence_command(app);
  bog::cli::add_pipeline_command(app);
  bog::cli::add_tune_command(app);
  bog::cli::add_runs_command(app);
  bog::cli::add_serve_command(app);
  bog::cli::add_loadtest_command(app);
  bog::cli::add_generate_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "error[invalid_argument]: %s\n", e.what());
    return bog::exit_code(bog::ErrorCategory::kInvalidArgument);
  } catch (const bog::cli::CommandFailed& e) {
    std::fprintf(stderr, "bog: %s\n", e.what());
    return 1;
  } catch (const bog::Error& e) {
    std::fprintf(stderr, "error[%s]: %s\n", std::string(bog::category_name(e.category())).c_str(),
                 e.what());
    return bog::exit_code(e.category());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error[internal]: %s\n", e.what());
    return bog::exit_code(bog::ErrorCategory::kInternal);
  }
  return 0;
}
