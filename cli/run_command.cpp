// `bog run MODEL.onnx`: runs a model on test data (--data) or random inputs (--random), prints
// each output's type and a preview, and with --compare checks them against output_K.pb.
#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/session_profile.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/error.h"
#include "conformance/feed_sets.h"
#include "conformance/value_compare.h"
#include "conformance/value_format.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/session.h"
#include "parity/precision_report.h"

namespace bog::cli {
namespace {

using nlohmann::json;

struct Options {
  std::string model;
  std::string data;
  bool random = false;
  std::vector<std::string> dims;
  uint64_t seed = 0;
  std::vector<std::string> providers = {"reference"};
  bool strict = false;
  bool no_optimize = false;
  bool compare = false;
  conformance::Tolerance tolerance;
  bool json = false;
  bool verbose = false;
  std::string save;
  size_t preview = 8;
  int profile_runs = 0;
  int threads = 1;
  std::string precision = "fp32";
};

std::vector<conformance::FeedSet> feed_sets(const Options& o, const runtime::Session& session) {
  if (!o.data.empty()) {
    return conformance::data_feed_sets(o.data, session.input_infos(), session.output_infos());
  }
  std::vector<conformance::FeedSet> sets;
  sets.push_back(conformance::random_feed_set(session.input_infos(), o.dims, o.seed));
  return sets;
}

void print_placement(const runtime::PlacementReport& report) {
  std::cout << fmt::format("placement: requested [{}], used [{}]\n",
                           fmt::join(report.requested, ", "), fmt::join(report.used, ", "));
  for (const runtime::NodePlacement& n : report.nodes) {
    std::cout << fmt::format("  {:<32} {:<20} {}", n.node, n.op_type, n.provider);
    if (!n.fallback_reasons.empty()) {
      std::cout << fmt::format("  (fallback: {})", fmt::join(n.fallback_reasons, "; "));
    }
    std::cout << "\n";
  }
}

// Prints what profile_session measured: time per run, then per op type and provider.
void print_profile(const json& p) {
  const int runs = p["runs"].get<int>();
  std::cout << fmt::format("profile: {} runs, {:.3f} ms per run ({:.3f} ms in kernels)\n", runs,
                           p["ms_per_run"].get<double>(), p["kernel_ms_per_run"].get<double>());
  std::cout << fmt::format("  {:<24} {:<10} {:>6} {:>12} {:>7}\n", "op type", "provider", "nodes",
                           "ms/run", "share");
  for (const json& op : p["op_types"]) {
    std::cout << fmt::format("  {:<24} {:<10} {:>6} {:>12.4f} {:>6.1f}%\n",
                             op["op_type"].get<std::string>(), op["provider"].get<std::string>(),
                             op["nodes"].get<int64_t>(), op["ms_per_run"].get<double>(),
                             100 * op["share"].get<double>());
  }
}

void run(const Options& o) {
  if (!o.data.empty() && o.random) {
    throw Error(ErrorCategory::kInvalidArgument, "--data and --random exclude each other");
  }
  if (o.compare && o.data.empty()) {
    throw Error(ErrorCategory::kInvalidArgument,
                "--compare needs --data (expected outputs come from output_K.pb files)");
  }
  if (!o.dims.empty() && !o.data.empty()) {
    throw Error(ErrorCategory::kInvalidArgument, "--dim applies to --random inputs only");
  }
  if (o.tolerance.rtol < 0 || o.tolerance.atol < 0) {
    throw Error(ErrorCategory::kInvalidArgument, "--rtol and --atol must be non-negative");
  }
  check_provider_names(o.providers);
  runtime::SessionOptions options;
  options.providers = o.providers;
  options.strict = o.strict;
  options.optimize = !o.no_optimize;
  options.threads = o.threads;
  options.precision = runtime::parse_precision(o.precision);
  runtime::Session session(runtime::load_model(o.model), options);
  std::vector<conformance::FeedSet> jobs = feed_sets(o, session);

  if (o.verbose && !o.json) print_placement(session.placement());
  json out = {{"model", o.model},
              {"requested_providers", o.providers},
              {"optimize", !o.no_optimize},
              {"placement", session.placement().to_json()},
              {"precision", parity::precision_json(o.precision)}};
  if (!o.json && o.precision != "fp32") std::cout << parity::precision_line(o.precision) << "\n";
  json sets = json::array();
  bool all_match = true;
  int64_t mismatched_outputs = 0;
  for (conformance::FeedSet& job : jobs) {
    json set = {{"name", job.name}};
    if (!job.dims_used.empty()) set["dims"] = job.dims_used;
    json inputs = json::array();
    for (const auto& [name, value] : job.feeds) {
      inputs.push_back({{"name", name}, {"type", conformance::value_type_string(value)}});
    }
    set["inputs"] = inputs;
    if (!o.json) {
      std::cout << fmt::format("{}:\n", job.name);
      for (const auto& [name, value] : job.feeds) {
        std::cout << fmt::format("  input  {:<24} {}\n", name,
                                 conformance::value_type_string(value));
      }
    }
    if (o.profile_runs > 0 && sets.empty()) {
      out["profile"] = bench::profile_session(session, job.feeds, o.profile_runs);
      if (!o.json) print_profile(out["profile"]);
    }
    const auto start = std::chrono::steady_clock::now();
    std::map<std::string, runtime::Value> got = session.run(std::move(job.feeds));
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    set["milliseconds"] = ms;

    std::map<std::string, const runtime::Value*> expected;
    for (const auto& [name, value] : job.expected) expected[name] = &value;
    json outputs = json::array();
    for (const runtime::ValueInfo& info : session.output_infos()) {
      const auto it = got.find(info.name);
      if (it == got.end()) continue;
      json oj = {{"name", info.name}, {"value", conformance::value_to_json(it->second, o.preview)}};
      std::string verdict;
      if (o.compare) {
        const auto e = expected.find(info.name);
        if (e == expected.end()) {
          oj["compare"] = {{"status", "no expected output"}};
          verdict = "  (no expected output)";
        } else {
          const conformance::CompareResult r =
              conformance::compare_values(it->second, *e->second, o.tolerance);
          oj["compare"] = {{"status", r.ok ? "match" : "mismatch"},
                           {"max_abs_diff", r.max_abs_diff},
                           {"reason", r.reason}};
          verdict = r.ok ? fmt::format("  match (max abs diff {:.3g})", r.max_abs_diff)
                         : fmt::format("  MISMATCH: {}", r.reason);
          if (!r.ok) {
            all_match = false;
            ++mismatched_outputs;
          }
        }
      }
      if (!o.save.empty()) {
        conformance::save_output(o.save, job.name, static_cast<size_t>(outputs.size()), it->second,
                                 info.name);
      }
      if (!o.json) {
        std::cout << fmt::format("  output {:<24} {} {}{}\n", info.name,
                                 conformance::value_type_string(it->second),
                                 conformance::value_preview(it->second, o.preview), verdict);
      }
      outputs.push_back(std::move(oj));
    }
    set["outputs"] = outputs;
    if (!o.json) std::cout << fmt::format("  ran in {:.3f} ms\n", ms);
    sets.push_back(std::move(set));
  }
  out["data_sets"] = sets;
  if (o.compare)
    out["compare"] = {
        {"passed", all_match}, {"rtol", o.tolerance.rtol}, {"atol", o.tolerance.atol}};
  if (o.json) {
    std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    const auto& report = session.placement();
    if (report.has_fallback()) {
      std::cout << fmt::format("fallbacks: {}\n", fmt::join(report.fallback_reasons(), "; "));
    }
    if (o.compare && all_match) {
      std::cout << fmt::format("all outputs match (rtol {:g}, atol {:g})\n", o.tolerance.rtol,
                               o.tolerance.atol);
    }
  }
  std::cout.flush();
  if (!all_match) {
    throw CommandFailed(
        fmt::format("{} output(s) do not match the expected values (rtol {:g}, atol {:g})",
                    mismatched_outputs, o.tolerance.rtol, o.tolerance.atol));
  }
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("run", "Run a model on test data or random inputs");
  cmd->add_option("MODEL", o->model, "Model file (.onnx)")->required();
  auto* data = cmd->add_option(
      "--data", o->data, "A test_data_set_N folder, or a folder of them (input_K.pb, output_K.pb)");
  auto* random =
      cmd->add_flag("--random", o->random, "Random inputs from the declared shapes (default)");
  data->excludes(random);
  cmd->add_option("--dim", o->dims,
                  "Size of a symbolic dimension for --random: NAME=VALUE (repeatable)");
  cmd->add_option("--seed", o->seed, "Seed for --random");
  cmd->add_option("--provider", o->providers,
                  "Providers in order of preference (repeat or comma-separate)")
      ->delimiter(',');
  cmd->add_flag("--no-optimize", o->no_optimize,
                "Turn the providers' graph passes off (see what each fusion buys)");
  cmd->add_flag("--strict", o->strict, "Fail instead of falling back to a later provider");
  cmd->add_flag("--compare", o->compare, "Check outputs against output_K.pb; exit 1 on a mismatch");
  cmd->add_option("--rtol", o->tolerance.rtol, "Relative tolerance for --compare (default 1e-3)");
  cmd->add_option("--atol", o->tolerance.atol, "Absolute tolerance for --compare (default 1e-7)");
  cmd->add_flag("--json", o->json, "Print one JSON object (includes the placement report)");
  cmd->add_flag("--verbose,-v", o->verbose, "Print each node with its provider");
  cmd->add_option("--save", o->save, "Write outputs as DIR/<data set>/output_K.pb");
  cmd->add_option("--preview", o->preview, "Elements shown per output (default 8)");
  cmd->add_option("--threads", o->threads, "Intra-op threads of the session (default 1)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--precision", o->precision,
                  "GEMM arithmetic: fp32 (default) or bf16 (cpu: weights and activations rounded "
                  "to bfloat16, fp32 accumulation; fp32 with the reason where the CPU cannot)");
  cmd->add_option("--profile", o->profile_runs,
                  "After the run, time N more runs of the first data set per node and print "
                  "where the time goes by op type")
      ->check(CLI::Range(1, 1000000));
  cmd->callback([o] { run(*o); });
}

}  // namespace bog::cli
