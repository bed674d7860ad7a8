// `bog parity`: is the exported graph the same model on every backend? Eigen eager is the
// reference for bundles; for any other ONNX model the expected outputs (or the first provider)
// are. The report is written next to the artifact; later stages refuse artifacts without one.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/parity_generate.h"
#include "common/build_paths.h"
#include "common/error.h"
#include "onnx_export/exporter.h"
#include "parity/divergence_probe.h"
#include "parity/graph_parity.h"
#include "parity/model_parity.h"

namespace bog::cli {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::vector<int> parse_batch_sizes(const std::string& s) {
  std::vector<int> out;
  for (const std::string& item : split_list(s)) {
    try {
      const int v = std::stoi(item);
      if (v < 1) throw std::invalid_argument("");
      out.push_back(v);
    } catch (const std::exception&) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("--batch-sizes: '{}' is not a positive integer", item));
    }
  }
  if (out.empty()) throw Error(ErrorCategory::kInvalidArgument, "--batch-sizes is empty");
  return out;
}

void check_providers(const std::vector<std::string>& providers) {
  if (providers.empty()) throw Error(ErrorCategory::kInvalidArgument, "--providers is empty");
  for (const std::string& p : providers) {
    if (p != "reference" && p != "cpu" && p != "cuda" && p != "ort") {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("--providers: unknown provider '{}' (reference, cpu, cuda, ort)", p));
    }
  }
}

void print_report(const parity::ParityReport& r, const std::string& reference) {
  std::cout << fmt::format("parity of {} against {} on {} ({} samples, batch sizes {}{})\n",
                           r.artifact, reference, r.texts, r.samples, fmt::join(r.batch_sizes, ","),
                           r.optimize ? "" : ", provider passes off");
  std::cout << fmt::format("tolerance: atol {:g}, rtol {:g}, argmax agreement >= {:g}\n",
                           r.tolerance.atol, r.tolerance.rtol, r.tolerance.min_argmax_agreement);
  std::cout << fmt::format("{:<10} {:<18} {:>12} {:>12} {:>12} {:>10} {:>8}  {}\n", "requested",
                           "used", "max_abs", "max_rel", "mean_abs", "cosine", "argmax", "result");
  for (const parity::ProviderParity& p : r.results) {
    if (!p.error.empty()) {
      std::cout << fmt::format("{:<10} {:<18} error: {}\n", p.provider_requested,
                               p.provider_used.empty() ? "-" : p.provider_used, p.error);
      continue;
    }
    const parity::Comparison& c = p.comparison;
    std::cout << fmt::format(
        "{:<10} {:<18} {:>12.3e} {:>12.3e} {:>12.3e} {:>10.7f} {:>7.1f}%  {}\n",
        p.provider_requested, p.provider_used, c.max_abs_diff, c.max_rel_diff, c.mean_abs_diff,
        c.cosine, 100 * c.argmax_agreement, p.passed ? "pass" : "FAIL");
    for (const std::string& f : p.fallback_reasons)
      std::cout << "           fallback: " << f << "\n";
  }
  std::cout << (r.passed ? "parity passed\n" : "parity FAILED\n");
}

void print_divergence(const nlohmann::json& j) {
  if (!j.contains("first_divergence") || !j["first_divergence"].is_object()) return;
  const auto& d = j["first_divergence"];
  std::cout
      << (d["found"].get<bool>()
              ? fmt::format("first divergence: node '{}' ({}) output '{}', max abs diff {:.3e}\n",
                            d["node"].get<std::string>(), d["op_type"].get<std::string>(),
                            d["value"].get<std::string>(), d["max_abs_diff"].get<double>())
              : std::string("first divergence: no intermediate value differs beyond tolerance\n"));
}

}  // namespace

void add_parity_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "parity", "Compare an ONNX model across providers (and against the Eigen model)");
  struct Args {
    std::string bundle, onnx, inputs, data, out = "runs/parity", providers = "reference,ort";
    std::string batch_sizes = "1,8", export_config;
    int samples = 256;
    int threads = 1;
    int prompts = 32, prompt_len = 32, new_tokens = 64;
    bool generate = false;
    std::string precision = "fp32";
    bool first_divergence = false, json = false, no_optimize = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--bundle", a->bundle, "Bundle directory (Eigen eager is the reference)");
  cmd->add_option("--onnx", a->onnx, "ONNX file (default: export the bundle into --out)");
  cmd->add_option("--inputs", a->inputs,
                  "test_data_set folder (input_K.pb, output_K.pb), or a folder of them, for any "
                  "ONNX model");
  auto* providers_opt = cmd->add_option("--providers", a->providers,
                                        "Comma list of reference, cpu, cuda, ort (default "
                                        "reference,ort; with --generate reference,cpu,ort)");
  cmd->add_option("--data", a->data, "AG News directory: texts from test.csv (default: synthetic)");
  cmd->add_option("--samples", a->samples, "Number of texts")->check(CLI::PositiveNumber);
  cmd->add_option("--batch-sizes", a->batch_sizes, "Comma list of batch sizes");
  cmd->add_option("--threads", a->threads, "Threads for the cpu provider")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--precision", a->precision,
                  "fp32 (default) or bf16: the interpreter providers' GEMM arithmetic, held to "
                  "the export config's bfloat16 policy; the report is <artifact>.bf16.parity.json");
  cmd->add_option("--out", a->out, "Where an export made by this command goes");
  cmd->add_option("--export-config", a->export_config,
                  "Tolerance policy (default configs/export.yaml)");
  cmd->add_flag(
      "--first-divergence", a->first_divergence,
      "On disagreement, name the first node whose output differs (interpreter providers)");
  cmd->add_flag("--no-optimize", a->no_optimize,
                "Turn the interpreter providers' graph passes off (the report records it)");
  cmd->add_flag("--json", a->json, "Print one JSON object");
  cmd->add_flag("--generate", a->generate,
                "Decoder LM bundle: greedy generation parity (every step's logits, the tokens) "
                "on AG News test prompts from --data or BOG_DATA_DIR");
  cmd->add_option("--prompts", a->prompts, "--generate: number of test-set prompts");
  cmd->add_option("--prompt-len", a->prompt_len, "--generate: tokens per prompt (BOS first)");
  cmd->add_option("--new-tokens", a->new_tokens, "--generate: tokens generated per prompt");
  cmd->callback([a, providers_opt] {
    const std::vector<std::string> providers =
        split_list(a->generate && providers_opt->count() == 0 ? "reference,cpu,ort" : a->providers);
    check_providers(providers);
    fs::path config = a->export_config;
    if (config.empty()) {
      config = fs::exists("configs/export.yaml")
                   ? fs::path("configs/export.yaml")
                   : fs::path(bog::source_dir()) / "configs" / "export.yaml";
    }
    const parity::TolerancePolicy policy = parity::load_tolerance_policy(config);
    if (a->generate) {
      run_generate_parity_command({a->bundle, a->onnx, a->data, a->out, providers, a->prompts,
                                   a->prompt_len, a->new_tokens, a->threads,
                                   policy.for_dtype("float32").atol, a->json});
      return;
    }

    if (a->bundle.empty()) {  // any ONNX model with a test_data_set folder
      if (a->onnx.empty() || a->inputs.empty()) {
        throw Error(ErrorCategory::kInvalidArgument,
                    "parity needs --bundle DIR, or --onnx FILE with --inputs DIR");
      }
      parity::GraphParityRequest greq;
      greq.onnx = a->onnx;
      greq.inputs = a->inputs;
      greq.providers = providers;
      greq.tolerance = policy.for_precision(a->precision);
      greq.precision = runtime::parse_precision(a->precision);
      greq.threads = a->threads;
      greq.optimize = !a->no_optimize;
      const parity::ParityReport report = parity::run_graph_parity(greq);
      parity::write_parity_report(greq.onnx, report);
      nlohmann::json j = report.to_json();
      j["report_file"] = parity::parity_report_path(greq.onnx, a->precision).filename().string();
      if (a->first_divergence && !report.passed) {
        j["first_divergence"] = parity::first_divergence_json(
            greq.onnx, providers,
            [&] {
              return parity::read_feeds(greq.onnx, parity::test_data_sets(greq.inputs).front());
            },
            greq.tolerance, a->threads);
      }
      if (a->json) {
        std::cout << j.dump() << "\n";
      } else {
        print_report(report, report.reference);
        print_divergence(j);
        std::cout << "report: " << parity::parity_report_path(greq.onnx, a->precision).string()
                  << "\n";
      }
      if (!report.passed) {
        throw Error(ErrorCategory::kParityFailed,
                    fmt::format("parity failed for {}", greq.onnx.filename().string()));
      }
      return;
    }

    parity::ParityRequest req;
    req.bundle = a->bundle;
    req.providers = providers;
    req.samples = a->samples;
    req.batch_sizes = parse_batch_sizes(a->batch_sizes);
    req.threads = a->threads;
    req.optimize = !a->no_optimize;
    req.precision = runtime::parse_precision(a->precision);
    req.policy = policy;
    if (!a->data.empty()) req.data = fs::path(a->data);
    if (a->onnx.empty()) {
      const fs::path dir = fs::path(a->out) / fs::absolute(a->bundle).lexically_normal().filename();
      fs::create_directories(dir);
      req.onnx = dir / "model.onnx";
      (void)onnx_export::export_bundle(a->bundle, req.onnx, onnx_export::ExportOptions{});
    } else {
      req.onnx = a->onnx;
    }
    const parity::ParityReport report = parity::run_model_parity(req);
    parity::write_parity_report(req.onnx, report);
    nlohmann::json j = report.to_json();
    j["report_file"] = parity::parity_report_path(req.onnx, a->precision).filename().string();

    if (a->first_divergence && !report.passed) {
      // The same text through both interpreter providers, node by node.
      j["first_divergence"] = parity::first_divergence_json(
          req.onnx, providers, [&] { return parity::bundle_text_feeds(a->bundle); },
          policy.for_dtype("float32"), a->threads);
    }
    if (a->json) {
      std::cout << j.dump() << "\n";
    } else {
      print_report(report, "Eigen eager");
      print_divergence(j);
      std::cout << "report: " << parity::parity_report_path(req.onnx, a->precision).string()
                << "\n";
    }
    if (!report.passed)
      throw Error(ErrorCategory::kParityFailed,
                  fmt::format("parity failed for {}", req.onnx.filename().string()));
  });
}

}  // namespace bog::cli
