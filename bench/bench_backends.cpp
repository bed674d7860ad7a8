// One Backend per backend token at one thread count: what its rows say before any timing
// (providers requested and used, parity status, notes), and the session the interpreter rows
// time.
#include <fmt/format.h>

#include <algorithm>

#include "bench/bench_steps.h"
#include "common/error.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/precision.h"
#include "onnx_runtime/providers/cuda/cuda_probe.h"

namespace bog::bench::steps {
namespace {

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  return fmt::format("{}", fmt::join(v, sep));
}

void add_note(std::string& note, const std::string& s) {
  note += fmt::format("{}{}", note.empty() ? "" : "; ", s);
}

// Eigen eager: the parity reference itself.
void eager_backend(const Prepared& p, Backend& b, std::string& note) {
  nlohmann::json& r = b.row_base;
  r["backend"] = "eager";
  r["provider_requested"] = "eigen";
  r["provider_used"] = "eigen";
  r["parity_status"] = "reference";
  r["checkpoint_loaded"] = p.bundle.bundle.has_value();
  r["model_sha256"] = p.facts.weights_sha256;
  if (!p.bundle.bundle) b.error = "bundle unavailable: " + p.bundle.error;
  note = "Eigen eager model: the parity reference";
}

// ONNX Runtime (onnxruntime-node, CPU fp32).
void ort_backend(const BenchConfig& c, const Prepared& p, int threads, Backend& b,
                 std::string& note) {
  nlohmann::json& r = b.row_base;
  r["backend"] = "onnxruntime";
  r["provider_requested"] = "cpu";
  r["provider_used"] = p.ort.runner ? "cpu" : "none";
  r["parity_status"] = p.artifact.parity.status_for("ort");
  r["checkpoint_loaded"] = p.artifact.has_checkpoint;
  r["model_sha256"] = p.artifact.sha256;
  if (!p.artifact.error.empty())
    b.error = p.artifact.error;
  else if (!p.ort.runner)
    b.error = p.ort.error;
  r["precision"] = "fp32";
  r["ort_spinning"] = c.ort_spinning;
  note =
      fmt::format("onnxruntime-node {} CPU fp32, intra-op threads {}, spinning {}", p.ort.version,
                  threads, c.ort_spinning ? "on (its default)" : "off (--ort-spinning 0)");
}

runtime::SessionOptions interpreter_options(const BenchConfig& c, const std::string& token,
                                            int threads) {
  runtime::SessionOptions o;
  // Explicit fallback chain, so a provider that cannot run shows up in the report.
  o.providers = {token};
  if (token == "cuda") o.providers.push_back("cpu");
  if (token != "reference") o.providers.push_back("reference");
  o.threads = threads;
  o.optimize = c.optimize;
  o.precision = runtime::parse_precision(c.precision);
  return o;
}

// A precision other than fp32: what ran on this provider, and the parity report that vouches
// for it (the bf16 one, where the cpu provider really ran bf16).
void record_precision(const Prepared& p, const std::string& token, const runtime::SessionOptions& o,
                      Backend& b, std::string& note, std::string& status) {
  nlohmann::json& r = b.row_base;
  const runtime::PrecisionChoice pc = runtime::cpu_precision(o.precision);
  const bool cpu_runs = token == "cpu";
  r["precision"] = cpu_runs ? std::string(runtime::precision_name(pc.used)) : "fp32";
  r["precision_kernel"] = cpu_runs ? pc.kernel : "fp32";
  const std::string why =
      cpu_runs ? pc.reason : "bf16 requested, ran fp32: only the cpu provider has bf16";
  if (!why.empty()) add_note(note, why);
  if (cpu_runs && pc.used == runtime::Precision::kBf16) {
    status = p.artifact.parity.status_for_bf16(token);
  }
}

// What the placement says: the providers used, fallbacks, the device, and whose parity
// vouches for the timings when the requested provider did not run every node.
void record_placement(const Prepared& p, const std::string& token, Backend& b, std::string& note,
                      std::string& status) {
  nlohmann::json& r = b.row_base;
  if (const int lanes = b.session->optimization_report().batch_lanes; lanes > 1) {
    add_note(note,
             fmt::format("batches above 1 run as {} lanes (one single-thread session per thread)",
                         lanes));
  }
  const runtime::PlacementReport& pr = b.session->placement();
  const std::string used = join(pr.used, "+");
  r["provider_used"] = used;
  r["fallback_reason"] = join(pr.fallback_reasons(), "; ");
  if (std::find(pr.used.begin(), pr.used.end(), "cuda") != pr.used.end()) {
    // The row's device is the GPU only when the cuda provider really ran nodes.
    const runtime::CudaProbe& probe = runtime::probe_cuda();
    r["device"] = "cuda";
    r["device_name"] = probe.devices.empty() ? "" : probe.devices.front().name;
    note = fmt::format("cuda GEMMs with TF32 {}", runtime::allow_tf32() ? "allowed" : "off (fp32)");
  }
  if (used == token) return;
  add_note(note, fmt::format("requested provider '{}' did not run every node; the timings "
                             "are of '{}': {}",
                             token, used, kFallbackCaveat));
  // The artifact ran on `used`: those providers' parity is what vouches for it.
  bool all_pass = !pr.used.empty();
  for (const std::string& u : pr.used) {
    all_pass &= parity_is_result(p.artifact.parity.status_for(u));
  }
  if (!parity_is_result(status) && all_pass) {
    status = "passed";
    note += fmt::format("; parity is that of the provider(s) that ran ({})", used);
  }
}

// One of our providers (reference, cpu, cuda) on the artifact.
void interpreter_backend(const BenchConfig& c, const Prepared& p, int threads, Backend& b,
                         std::string& note) {
  const std::string& token = b.token;
  nlohmann::json& r = b.row_base;
  r["backend"] = "interpreter";
  r["provider_requested"] = token;
  r["checkpoint_loaded"] = p.artifact.has_checkpoint;
  r["model_sha256"] = p.artifact.sha256;
  r["provider_used"] = "none";
  std::string status = p.artifact.parity.status_for(token);
  if (!p.artifact.error.empty()) {
    b.error = p.artifact.error;
  } else {
    try {
      const runtime::SessionOptions o = interpreter_options(c, token, threads);
      if (!c.optimize) note = "provider passes off (--no-optimize)";
      if (c.precision != "fp32") record_precision(p, token, o, b, note, status);
      b.session.emplace(runtime::load_model(c.onnx), o);
      record_placement(p, token, b, note, status);
    } catch (const Error& e) {
      b.error = e.what();
    }
  }
  r["parity_status"] = status;
}

}  // namespace

std::vector<Backend> make_backends(const BenchConfig& c, const Prepared& p, int threads) {
  std::vector<Backend> backends;
  for (const std::string& token : c.backends) {
    Backend b;
    b.token = token;
    nlohmann::json& r = b.row_base;
    r = p.context;
    r["threads"] = threads;
    r["precision"] = c.precision;
    r["optimize"] = c.optimize;
    r["fallback_reason"] = "";
    r["random_init_used"] = false;
    std::string note;
    if (token == "eager") {
      eager_backend(p, b, note);
    } else if (token == "ort") {
      ort_backend(c, p, threads, b, note);
    } else {
      interpreter_backend(c, p, threads, b, note);
    }
    r["note"] = note;
    b.result = b.error.empty() && parity_is_result(r["parity_status"].get<std::string>());
    backends.push_back(std::move(b));
  }
  return backends;
}

}  // namespace bog::bench::steps
