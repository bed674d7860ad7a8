// `bog bench`: the provider-gated benchmark matrix (configs/benchmark.yaml, flags override).
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/bench_config.h"
#include "bench/bench_report.h"
#include "bench/bench_runner.h"
#include "bench/generate_bench.h"
#include "cli/commands.h"
#include "common/error.h"

namespace bog::cli {
namespace {

template <typename T>
std::vector<T> split_list(const std::string& text, const char* flag) {
  std::vector<T> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    if constexpr (std::is_same_v<T, int>) {
      try {
        size_t used = 0;
        const int v = std::stoi(item, &used);
        if (used != item.size()) throw std::invalid_argument(item);
        out.push_back(v);
      } catch (const std::exception&) {
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("{}: '{}' is not an integer", flag, item));
      }
    } else {
      out.push_back(item);
    }
  }
  if (out.empty())
    throw Error(ErrorCategory::kInvalidArgument, fmt::format("{}: empty list", flag));
  return out;
}

template <typename Args>
void run_generate(const Args& a) {
  bench::GenerateBenchConfig c;
  c.onnx = a.onnx;
  if (!a.backends.empty()) c.backends = split_list<std::string>(a.backends, "--backends");
  if (!a.batch.empty()) c.batch = split_list<int>(a.batch, "--batch");
  if (!a.threads.empty()) c.threads = split_list<int>(a.threads, "--threads");
  if (!a.out.empty()) c.out = a.out;
  if (a.warmup >= 0) c.warmup = a.warmup;
  if (a.iterations >= 0) c.iterations = a.iterations;
  c.prompt_len = a.prompt_len;
  c.new_tokens = a.new_tokens;
  c.no_cache_too = a.no_cache_too;
  c.baseline_onnx = a.baseline_onnx;
  c.ort_spinning = a.ort_spinning != 0;  // unset (-1): on, ORT's default
  c.optimize = !a.no_optimize;
  const bench::BenchResult r = bench::run_generate_bench(
      c, [](const std::string& s) { std::cerr << "bench: " << s << "\n"; });
  const nlohmann::json report = bench::generate_report_json(r);
  bench::write_generate_outputs(report, c.out);
  if (a.json) {
    std::cout << report.dump() << "\n";
    return;
  }
  std::cout << bench::generate_terminal_table(report);
  std::cout << fmt::format("report in {}/generate.{{json,md}}\n", c.out.string());
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Benchmark matrix: eager, interpreter providers, ORT");
  struct Args {
    std::string config, out, backends, batch, seq, threads, onnx, bundle, precision, baseline_onnx;
    int warmup = -1, iterations = -1, rounds = -1, ort_spinning = -1;
    int prompt_len = 64, new_tokens = 128;
    bool json = false, no_optimize = false;
    bool generate = false, no_cache_too = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--config", a->config, "Matrix config (YAML)")->check(CLI::ExistingFile);
  cmd->add_option("--out", a->out, "Output folder for bench.{json,csv,md,svg}");
  cmd->add_option("--backends", a->backends, "eager,reference,cpu,cuda,ort");
  cmd->add_option("--batch", a->batch, "Batch sizes, e.g. 1,8");
  cmd->add_option("--seq", a->seq, "Sequence lengths, e.g. 32,128");
  cmd->add_option("--threads", a->threads, "Thread counts, e.g. 1,2");
  cmd->add_option("--onnx", a->onnx, "Exported artifact (.onnx)");
  cmd->add_option("--bundle", a->bundle, "Bundle directory (eager rows, FLOPs)");
  cmd->add_option("--warmup", a->warmup, "Untimed runs per backend and cell");
  cmd->add_option("--iterations", a->iterations, "Timed runs per backend and cell");
  cmd->add_option("--rounds", a->rounds, "Round-robin passes the iterations are split into");
  cmd->add_option("--precision", a->precision,
                  "fp32 or bf16 for the interpreter providers (rows say what ran and why)");
  cmd->add_option("--ort-spinning", a->ort_spinning,
                  "ONNX Runtime's intra-op spinning: 1 (its default) or 0; rows record it")
      ->check(CLI::Range(0, 1));
  cmd->add_flag(
      "--no-optimize", a->no_optimize,
      "Turn the interpreter providers' graph passes off (rows record \"optimize\": false)");
  cmd->add_flag("--json", a->json, "Print the report as one JSON object");
  cmd->add_flag("--generate", a->generate,
                "Decode speed of a decoder graph (--onnx): our generation loop against ONNX "
                "Runtime's, side by side");
  cmd->add_option("--prompt-len", a->prompt_len, "--generate: prompt tokens per row (64)");
  cmd->add_option("--new-tokens", a->new_tokens, "--generate: tokens generated per row (128)");
  cmd->add_flag("--no-cache-too", a->no_cache_too,
                "--generate: also our uncached rows (every step recomputes the sequence)");
  cmd->add_option("--baseline-onnx", a->baseline_onnx,
                  "--generate: ONNX Runtime also runs this file in the same rounds (e.g. the "
                  "fp32 original of a quantized --onnx); the summary gives ratio_to_ort_baseline");
  cmd->callback([a] {
    if (!a->baseline_onnx.empty() && !a->generate)
      throw Error(ErrorCategory::kInvalidArgument, "--baseline-onnx needs --generate");
    if (a->generate) {
      run_generate(*a);
      return;
    }
    bench::BenchConfig c;
    if (!a->config.empty()) c = bench::load_bench_config(a->config);
    if (!a->out.empty()) c.out = a->out;
    if (!a->backends.empty()) c.backends = split_list<std::string>(a->backends, "--backends");
    if (!a->batch.empty()) c.batch = split_list<int>(a->batch, "--batch");
    if (!a->seq.empty()) c.seq = split_list<int>(a->seq, "--seq");
    if (!a->threads.empty()) c.threads = split_list<int>(a->threads, "--threads");
    if (!a->onnx.empty()) c.onnx = a->onnx;
    if (!a->bundle.empty()) c.bundle = a->bundle;
    if (a->warmup >= 0) c.warmup = a->warmup;
    if (a->iterations >= 0) c.iterations = a->iterations;
    if (a->rounds >= 0) c.rounds = a->rounds;
    if (a->no_optimize) c.optimize = false;
    if (!a->precision.empty()) c.precision = a->precision;
    if (a->ort_spinning >= 0) c.ort_spinning = a->ort_spinning != 0;
    // Flags that shrink iterations below the config's rounds keep one round per iteration.
    c.rounds = std::min(c.rounds, std::max(1, c.iterations));
    bench::validate(c);
    const bench::BenchResult r =
        bench::run_bench(c, [](const std::string& s) { std::cerr << "bench: " << s << "\n"; });
    const nlohmann::json report = bench::bench_report_json(r);
    bench::write_bench_outputs(report, c.out);
    if (a->json) {
      std::cout << report.dump() << "\n";
      return;
    }
    std::cout << bench::report_terminal_table(report);
    std::cout << fmt::format("sgemm peak {:.1f} GFLOP/s; report in {}/bench.{{json,csv,md,svg}}\n",
                             r.sgemm_gflops, c.out.string());
  });
}

}  // namespace bog::cli
