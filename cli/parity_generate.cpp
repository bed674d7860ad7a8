#include "cli/parity_generate.h"

#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "common/error.h"
#include "model/data/ag_news.h"
#include "onnx_export/exporter.h"
#include "parity/generate_parity.h"

namespace bog::cli {
namespace fs = std::filesystem;

namespace {

void print_table(const parity::GenerateParityReport& r) {
  const parity::ParityReport& p = r.parity;
  std::cout << fmt::format(
      "generation parity of {} against {}: {} prompts of {} tokens, {} new tokens (greedy)\n",
      p.artifact, p.reference, p.samples, r.prompt_len, r.new_tokens);
  std::cout << fmt::format("prompts: {}\ntolerance: atol {:g} on every logit; tokens identical\n",
                           p.texts, p.tolerance.atol);
  std::cout << fmt::format("{:<10} {:<18} {:>12} {:>12} {:>8} {:>10}  {}\n", "requested", "used",
                           "prefill_abs", "decode_abs", "steps", "tokens", "result");
  for (size_t i = 0; i < p.results.size(); ++i) {
    const parity::ProviderParity& row = p.results[i];
    const parity::GenerationParity& g = r.generation[i];
    if (!row.error.empty()) {
      std::cout << fmt::format("{:<10} {:<18} error: {}\n", row.provider_requested,
                               row.provider_used.empty() ? "-" : row.provider_used, row.error);
      continue;
    }
    std::cout << fmt::format(
        "{:<10} {:<18} {:>12.3e} {:>12.3e} {:>8} {:>10}  {}\n", row.provider_requested,
        row.provider_used, g.max_abs_diff_prefill, g.max_abs_diff_decode, g.steps_compared,
        g.tokens_identical ? "identical" : "DIFFER", row.passed ? "pass" : "FAIL");
    if (g.first_divergence) {
      const parity::Divergence& d = *g.first_divergence;
      std::cout << fmt::format(
          "           first divergence: prompt {} step {}: eager token {}, {} token {}\n", d.prompt,
          d.step, d.expected, row.provider_requested, d.got);
    }
    for (const std::string& f : row.fallback_reasons)
      std::cout << "           fallback: " << f << "\n";
  }
  std::cout << (p.passed ? "parity passed\n" : "parity FAILED\n");
}

// "provider: prompt P step S (eager token A, got B)" for the first provider that diverged.
std::string divergence_line(const parity::GenerateParityReport& r) {
  for (size_t i = 0; i < r.generation.size(); ++i) {
    if (const auto& d = r.generation[i].first_divergence) {
      return fmt::format("; first divergence on {}: prompt {} step {} (eager token {}, got {})",
                         r.parity.results[i].provider_requested, d->prompt, d->step, d->expected,
                         d->got);
    }
  }
  return "";
}

}  // namespace

void run_generate_parity_command(const GenerateParityArgs& a) {
  if (a.bundle.empty())
    throw Error(ErrorCategory::kInvalidArgument,
                "parity --generate needs --bundle DIR (the Eigen LM is the reference)");
  parity::GenerateParityRequest req;
  req.bundle = a.bundle;
  req.providers = a.providers;
  req.prompts = a.prompts;
  req.prompt_len = a.prompt_len;
  req.new_tokens = a.new_tokens;
  req.threads = a.threads;
  req.tolerance.atol = a.atol;
  req.data =
      model::resolve_data_dir(a.data.empty() ? std::nullopt : std::optional<std::string>(a.data));
  req.progress = [](const std::string& s) { std::cerr << "parity --generate: " << s << "\n"; };
  parity::validate(req);  // before an export that would be thrown away
  if (a.onnx.empty()) {   // export first, as `bog export --bundle` does
    const fs::path dir = fs::path(a.out) / fs::absolute(a.bundle).lexically_normal().filename();
    fs::create_directories(dir);
    req.onnx = dir / "model.onnx";
    req.progress("exporting " + a.bundle + " to " + req.onnx.string());
    (void)onnx_export::export_bundle(a.bundle, req.onnx, onnx_export::ExportOptions{});
  } else {
    req.onnx = a.onnx;
  }
  const parity::GenerateParityReport report = parity::run_generate_parity(req);
  parity::write_generate_parity_report(req.onnx, report);
  nlohmann::json j = report.to_json();
  j["report_file"] = parity::parity_report_path(req.onnx).filename().string();
  if (a.json) {
    std::cout << j.dump() << "\n";
  } else {
    print_table(report);
    std::cout << "report: " << parity::parity_report_path(req.onnx).string() << "\n";
  }
  if (!report.parity.passed)
    throw Error(ErrorCategory::kParityFailed,
                fmt::format("generation parity failed for {}{}", req.onnx.filename().string(),
                            divergence_line(report)));
}

}  // namespace bog::cli
