#include "bench/bench_runner.h"

#include <fmt/format.h>
#include <sys/utsname.h>

#include <algorithm>
#include <system_error>

#include "bench/bench_stats.h"
#include "bench/bench_steps.h"
#include "bench/gemm_peak.h"
#include "bench/model_feeds.h"
#include "common/error.h"
#include "model/data/sha256.h"
#include "onnx_runtime/loader.h"
#include "parity/model_parity.h"

namespace bog::bench {
namespace fs = std::filesystem;

bool parity_is_result(const std::string& status) {
  return status == "passed" || status == "reference";
}

double forward_flops_per_sample(const FlopModel& m, int seq_len) {
  if (m.n_heads <= 0 || m.d_model <= 0) return 0;
  const double t = seq_len;
  const double d = m.d_model;
  const double kv = static_cast<double>(m.n_kv_heads) * (d / m.n_heads);
  const double proj = 2.0 * t * d * (d + 2.0 * kv + d);  // q, k, v, o
  const double attn = 2.0 * 2.0 * t * t * d;             // scores and weighted values
  const double mlp = 2.0 * t * d * m.d_ff * m.mlp_matrices;
  return m.n_layers * (proj + attn + mlp) + 2.0 * d * m.n_classes;
}

namespace steps {
namespace {

std::string status_in(const std::optional<nlohmann::json>& report, const std::string& provider) {
  if (!report) return "missing";
  for (const auto& r : report->value("results", nlohmann::json::array())) {
    if (r.value("provider_requested", "") == provider) {
      return r.value("passed", false) ? "passed" : "failed";
    }
  }
  return "missing";
}

}  // namespace

std::string ParityLookup::status_for(const std::string& provider) const {
  return status_in(report, provider);
}

std::string ParityLookup::status_for_bf16(const std::string& provider) const {
  return status_in(bf16_report, provider);
}

BundleSide load_bundle_side(const BenchConfig& c) {
  BundleSide side;
  if (c.bundle.empty()) {
    side.error = "no bundle given";
    return side;
  }
  try {
    side.bundle = model::load_bundle(c.bundle);
  } catch (const Error& e) {
    side.error = e.what();
  }
  return side;
}

ArtifactSide load_artifact_side(const BenchConfig& c) {
  ArtifactSide a;
  if (c.onnx.empty()) {
    a.error = "no ONNX artifact given (--onnx)";
    return a;
  }
  std::error_code ec;
  if (!fs::is_regular_file(c.onnx, ec)) {
    a.error = fmt::format("artifact {} not found", c.onnx.filename().string());
    return a;
  }
  a.sha256 = model::sha256_file_hex(c.onnx);
  a.parity.report = parity::read_parity_report(c.onnx);
  if (c.precision == "bf16") a.parity.bf16_report = parity::read_parity_report(c.onnx, "bf16");
  try {
    const runtime::Model m = runtime::load_model(c.onnx);
    for (const auto& [k, v] : m.metadata) {
      if (k == "bundle_sha256" && !v.empty()) a.has_checkpoint = true;
      if (k == "model_config") a.model_config = v;
    }
    for (const runtime::ValueInfo& v : m.graph.inputs) {
      if (!m.graph.is_initializer(v.name)) a.inputs.push_back(v);
    }
    a.vocab = embedding_vocab(m);
  } catch (const Error& e) {
    a.error = e.what();
  }
  return a;
}

nlohmann::json artifact_json(const BenchConfig& c, const ArtifactSide& a) {
  const std::optional<nlohmann::json>& report = a.parity.report;
  return {{"file", c.onnx.filename().string()},
          {"sha256", a.sha256},
          {"parity_report", report ? "present" : "missing"},
          {"parity_passed", report ? report->value("passed", false) : false}};
}

ModelFacts model_facts(const BundleSide& b, const ArtifactSide& a) {
  ModelFacts f;
  if (a.vocab > 0) f.vocab = a.vocab;
  std::optional<model::ModelConfig> config;
  if (b.bundle) {
    config = b.bundle->config;
  } else if (!a.model_config.empty()) {
    try {
      config = model::parse_model_config(a.model_config, "the artifact's model_config");
    } catch (const Error&) {
      config.reset();  // a foreign or older file: FLOPs stay unknown
    }
  }
  if (config) {
    const model::ModelConfig& mc = *config;
    f.flops = {mc.d_model,
               mc.n_layers,
               mc.n_heads,
               mc.n_kv_heads,
               mc.d_ff,
               mc.n_classes,
               mc.mlp == model::MlpKind::kSwiglu ? 3 : 2};
    f.architecture = mc.architecture;
    f.vocab = mc.vocab_size;
    f.max_len = mc.max_len;
    f.prepend_cls = mc.prepend_cls;
  }
  if (b.bundle) {
    f.parameters = b.bundle->model->num_params();
    try {
      f.weights_sha256 = b.bundle->manifest.at("files").at("model.safetensors").at("sha256");
    } catch (const std::exception&) {
      f.weights_sha256 = "";
    }
  }
  return f;
}

OrtSide find_ort(const BenchConfig& c) {
  OrtSide o;
  if (std::find(c.backends.begin(), c.backends.end(), "ort") == c.backends.end()) return o;
  o.runner = parity::OrtRunner::find();
  if (o.runner) {
    o.version = o.runner->version();
  } else {
    o.error = "ONNX Runtime unavailable: " + parity::OrtRunner::why_unavailable();
  }
  return o;
}

nlohmann::json row_context(const ModelFacts& f, const std::string& ort_version) {
  utsname u{};
  uname(&u);
  return {{"device", "cpu"},
          {"device_name", model::host_cpu_model()},
          {"host", std::string(u.sysname) + "-" + u.machine},
          {"ort_version", ort_version},
          {"architecture", f.architecture},
          {"parameters", f.parameters}};
}

}  // namespace steps

BenchResult run_bench(const BenchConfig& c, const Progress& progress) {
  validate(c);
  auto say = [&progress](const std::string& s) {
    if (progress) progress(s);
  };
  BenchResult result;
  result.environment = environment_json();

  steps::Prepared p;
  p.bundle = steps::load_bundle_side(c);
  p.artifact = steps::load_artifact_side(c);
  if (!p.bundle.bundle && !p.artifact.error.empty()) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("nothing to benchmark: {}; {}", p.artifact.error, p.bundle.error));
  }
  result.artifact = steps::artifact_json(c, p.artifact);
  p.facts = steps::model_facts(p.bundle, p.artifact);
  p.ort = steps::find_ort(c);
  result.ort_version = p.ort.version;

  say("measuring the single-thread sgemm peak (Eigen)");
  result.sgemm_gflops = measure_sgemm_gflops();
  say(fmt::format("sgemm peak: {:.1f} GFLOP/s", result.sgemm_gflops));
  say("measuring the single-thread peak of the packed GEMM (1024 square) and of the FMA loop");
  result.gemm_peak_gflops = measure_packed_gemm_gflops();
  result.fma_peak_gflops = measure_fma_gflops();
  say(fmt::format("packed GEMM peak: {:.1f} GFLOP/s, FMA loop: {:.1f} GFLOP/s",
                  result.gemm_peak_gflops, result.fma_peak_gflops));
  p.gemm_peak_gflops = result.gemm_peak_gflops;
  p.context = steps::row_context(p.facts, result.ort_version);

  for (const int threads : c.threads) {
    std::vector<steps::Backend> backends = steps::make_backends(c, p, threads);
    for (const int batch : c.batch) {
      for (const int seq : c.seq) {
        say(fmt::format("cell batch={} seq={} threads={}", batch, seq, threads));
        steps::bench_cell(c, p, backends, threads, batch, seq, result.rows);
      }
    }
  }
  return result;
}

}  // namespace bog::bench
