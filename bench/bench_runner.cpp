#include "bench/bench_runner.h"

#include <fmt/format.h>
#include <sys/utsname.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "bench/bench_stats.h"
#include "bench/model_feeds.h"
#include "common/error.h"
#include "model/bundle.h"
#include "model/data/sha256.h"
#include "model/tokenizer/tokenizer.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/providers/cuda/cuda_probe.h"
#include "onnx_runtime/session.h"
#include "parity/model_parity.h"
#include "parity/ort_runner.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace bog::bench {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

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

namespace {

struct Inputs {
  std::vector<int> ids;  // eager
  model::SeqLayout layout;
};

// Deterministic token ids in [4, vocab), the CLS id first when the model prepends one; full mask.
Inputs synthetic_inputs(int batch, int seq, int vocab, bool prepend_cls) {
  Inputs in;
  in.layout.batch = batch;
  in.layout.seq_len = seq;
  in.layout.lengths.assign(static_cast<size_t>(batch), seq);
  const int span = std::max(1, vocab - 4);
  for (int b = 0; b < batch; ++b) {
    for (int t = 0; t < seq; ++t) {
      int id = 4 + (b * 131 + t * 17 + 7) % span;
      if (t == 0 && prepend_cls) id = model::Tokenizer::kBosId;
      in.ids.push_back(id);
    }
  }
  return in;
}

// One backend at one thread count: how it runs once, and what its row says.
struct Backend {
  std::string token;  // eager, reference, cpu, cuda, ort
  nlohmann::json row_base;
  std::string error;  // set: the backend cannot run; its rows carry this as the note
  bool result = false;
  std::optional<runtime::Session> session;
};

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  return fmt::format("{}", fmt::join(v, sep));
}

struct ParityLookup {
  std::optional<nlohmann::json> report;
  std::optional<nlohmann::json> bf16_report;  // `bog parity --precision bf16`: vouches for bf16
  std::string status_for(const std::string& provider) const { return status_in(report, provider); }
  std::string status_for_bf16(const std::string& provider) const {
    return status_in(bf16_report, provider);
  }
  static std::string status_in(const std::optional<nlohmann::json>& report,
                               const std::string& provider) {
    if (!report) return "missing";
    for (const auto& r : report->value("results", nlohmann::json::array())) {
      if (r.value("provider_requested", "") == provider) {
        return r.value("passed", false) ? "passed" : "failed";
      }
    }
    return "missing";
  }
};

// Eigen's GEMM follows the calling thread's OpenMP thread count (see the cpu provider).
void set_threads(int threads) {
#ifdef _OPENMP
  omp_set_num_threads(threads);
#endif
}

}  // namespace

BenchResult run_bench(const BenchConfig& c, const Progress& progress) {
  validate(c);
  auto say = [&progress](const std::string& s) {
    if (progress) progress(s);
  };
  BenchResult result;
  result.environment = environment_json();

  // The bundle: eager rows, FLOPs and the parameter count.
  std::optional<model::LoadedBundle> bundle;
  std::string bundle_error;
  if (!c.bundle.empty()) {
    try {
      bundle = model::load_bundle(c.bundle);
    } catch (const Error& e) {
      bundle_error = e.what();
    }
  } else {
    bundle_error = "no bundle given";
  }
  // The artifact: interpreter and ORT rows.
  std::string onnx_error, onnx_sha;
  std::string onnx_model_config;  // the exporter's metadata: FLOPs without the bundle
  bool onnx_has_checkpoint = false;
  std::vector<runtime::ValueInfo> onnx_inputs;  // what the artifact is fed
  int64_t onnx_vocab = 0;                       // its embedding table's rows, when it has one
  ParityLookup parity;
  if (!c.onnx.empty()) {
    std::error_code ec;
    if (!fs::is_regular_file(c.onnx, ec)) {
      onnx_error = fmt::format("artifact {} not found", c.onnx.filename().string());
    } else {
      onnx_sha = model::sha256_file_hex(c.onnx);
      parity.report = parity::read_parity_report(c.onnx);
      if (c.precision == "bf16") parity.bf16_report = parity::read_parity_report(c.onnx, "bf16");
      try {
        const runtime::Model m = runtime::load_model(c.onnx);
        for (const auto& [k, v] : m.metadata) {
          if (k == "bundle_sha256" && !v.empty()) onnx_has_checkpoint = true;
          if (k == "model_config") onnx_model_config = v;
        }
        for (const runtime::ValueInfo& v : m.graph.inputs) {
          if (!m.graph.is_initializer(v.name)) onnx_inputs.push_back(v);
        }
        onnx_vocab = embedding_vocab(m);
      } catch (const Error& e) {
        onnx_error = e.what();
      }
    }
  } else {
    onnx_error = "no ONNX artifact given (--onnx)";
  }
  if (!bundle && !onnx_error.empty()) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("nothing to benchmark: {}; {}", onnx_error, bundle_error));
  }
  result.artifact = {
      {"file", c.onnx.filename().string()},
      {"sha256", onnx_sha},
      {"parity_report", parity.report ? "present" : "missing"},
      {"parity_passed", parity.report ? parity.report->value("passed", false) : false}};

  FlopModel fm;
  std::string architecture = "unknown";
  int64_t parameters = 0;
  int64_t vocab = onnx_vocab > 0 ? onnx_vocab : 64;  // a foreign model: its Gather table
  int max_len = 1 << 30;
  bool prepend_cls = false;
  std::string weights_sha;
  std::optional<model::ModelConfig> config;
  if (bundle) {
    config = bundle->config;
  } else if (!onnx_model_config.empty()) {
    try {
      config = model::parse_model_config(onnx_model_config, "the artifact's model_config");
    } catch (const Error&) {
      config.reset();  // a foreign or older file: FLOPs stay unknown
    }
  }
  if (config) {
    const model::ModelConfig& mc = *config;
    fm = {mc.d_model,
          mc.n_layers,
          mc.n_heads,
          mc.n_kv_heads,
          mc.d_ff,
          mc.n_classes,
          mc.mlp == model::MlpKind::kSwiglu ? 3 : 2};
    architecture = mc.architecture;
    vocab = mc.vocab_size;
    max_len = mc.max_len;
    prepend_cls = mc.prepend_cls;
  }
  if (bundle) {
    parameters = bundle->model->num_params();
    try {
      weights_sha = bundle->manifest.at("files").at("model.safetensors").at("sha256");
    } catch (const std::exception&) {
      weights_sha = "";
    }
  }

  std::optional<parity::OrtRunner> ort;
  std::string ort_error;
  const bool wants_ort = std::find(c.backends.begin(), c.backends.end(), "ort") != c.backends.end();
  if (wants_ort) {
    ort = parity::OrtRunner::find();
    if (ort) {
      result.ort_version = ort->version();
    } else {
      ort_error = "ONNX Runtime unavailable: " + parity::OrtRunner::why_unavailable();
    }
  }

  say("measuring the single-thread sgemm peak (Eigen)");
  result.sgemm_gflops = measure_sgemm_gflops();
  say(fmt::format("sgemm peak: {:.1f} GFLOP/s", result.sgemm_gflops));

  utsname u{};
  uname(&u);
  const nlohmann::json context = {{"device", "cpu"},
                                  {"device_name", model::host_cpu_model()},
                                  {"host", std::string(u.sysname) + "-" + u.machine},
                                  {"ort_version", result.ort_version},
                                  {"architecture", architecture},
                                  {"parameters", parameters}};

  for (const int threads : c.threads) {
    // Backends at this thread count; sessions are reused across batch and seq (dynamic axes).
    std::vector<Backend> backends;
    for (const std::string& token : c.backends) {
      Backend b;
      b.token = token;
      nlohmann::json& r = b.row_base;
      r = context;
      r["threads"] = threads;
      r["precision"] = c.precision;
      r["optimize"] = c.optimize;
      r["fallback_reason"] = "";
      r["random_init_used"] = false;
      std::string note;
      if (token == "eager") {
        r["backend"] = "eager";
        r["provider_requested"] = "eigen";
        r["provider_used"] = "eigen";
        r["parity_status"] = "reference";
        r["checkpoint_loaded"] = bundle.has_value();
        r["model_sha256"] = weights_sha;
        if (!bundle) b.error = "bundle unavailable: " + bundle_error;
        note = "Eigen eager model: the parity reference";
      } else if (token == "ort") {
        r["backend"] = "onnxruntime";
        r["provider_requested"] = "cpu";
        r["provider_used"] = ort ? "cpu" : "none";
        r["parity_status"] = parity.status_for("ort");
        r["checkpoint_loaded"] = onnx_has_checkpoint;
        r["model_sha256"] = onnx_sha;
        if (!onnx_error.empty())
          b.error = onnx_error;
        else if (!ort)
          b.error = ort_error;
        r["precision"] = "fp32";
        r["ort_spinning"] = c.ort_spinning;
        note = fmt::format("onnxruntime-node {} CPU fp32, intra-op threads {}, spinning {}",
                           result.ort_version, threads,
                           c.ort_spinning ? "on (its default)" : "off (--ort-spinning 0)");
      } else {
        r["backend"] = "interpreter";
        r["provider_requested"] = token;
        r["checkpoint_loaded"] = onnx_has_checkpoint;
        r["model_sha256"] = onnx_sha;
        r["provider_used"] = "none";
        std::string status = parity.status_for(token);
        if (!onnx_error.empty()) {
          b.error = onnx_error;
        } else {
          try {
            runtime::SessionOptions o;
            // Explicit fallback chain, so a provider that cannot run shows up in the report.
            o.providers = {token};
            if (token == "cuda") o.providers.push_back("cpu");
            if (token != "reference") o.providers.push_back("reference");
            o.threads = threads;
            o.optimize = c.optimize;
            o.precision = runtime::parse_precision(c.precision);
            if (!c.optimize) note = "provider passes off (--no-optimize)";
            if (c.precision != "fp32") {
              const runtime::PrecisionChoice pc = runtime::cpu_precision(o.precision);
              const bool cpu_runs = token == "cpu";
              r["precision"] = cpu_runs ? std::string(runtime::precision_name(pc.used)) : "fp32";
              r["precision_kernel"] = cpu_runs ? pc.kernel : "fp32";
              const std::string why =
                  cpu_runs ? pc.reason : "bf16 requested, ran fp32: only the cpu provider has bf16";
              if (!why.empty()) note += fmt::format("{}{}", note.empty() ? "" : "; ", why);
              if (cpu_runs && pc.used == runtime::Precision::kBf16) {
                status = parity.status_for_bf16(token);
              }
            }
            b.session.emplace(runtime::load_model(c.onnx), o);
            if (const int lanes = b.session->optimization_report().batch_lanes; lanes > 1) {
              note += fmt::format(
                  "{}batches above 1 run as {} lanes (one single-thread session per thread)",
                  note.empty() ? "" : "; ", lanes);
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
              note = fmt::format("cuda GEMMs with TF32 {}",
                                 runtime::allow_tf32() ? "allowed" : "off (fp32)");
            }
            if (used != token) {
              note += fmt::format(
                  "{}requested provider '{}' did not run every node; the timings "
                  "are of '{}': {}",
                  note.empty() ? "" : "; ", token, used, kFallbackCaveat);
              // The artifact ran on `used`: those providers' parity is what vouches for it.
              bool all_pass = !pr.used.empty();
              for (const std::string& u : pr.used)
                all_pass &= parity_is_result(parity.status_for(u));
              if (!parity_is_result(status) && all_pass) {
                status = "passed";
                note += fmt::format("; parity is that of the provider(s) that ran ({})", used);
              }
            }
          } catch (const Error& e) {
            b.error = e.what();
          }
        }
        r["parity_status"] = status;
      }
      r["note"] = note;
      b.result = b.error.empty() && parity_is_result(r["parity_status"].get<std::string>());
      backends.push_back(std::move(b));
    }

    for (const int batch : c.batch) {
      for (const int seq : c.seq) {
        say(fmt::format("cell batch={} seq={} threads={}", batch, seq, threads));
        const Inputs in = synthetic_inputs(batch, seq, static_cast<int>(vocab), prepend_cls);
        // The artifact's feeds: token ids and a full mask by name, generic values otherwise.
        std::map<std::string, runtime::Tensor> onnx_feeds;
        std::string feeds_error;
        if (onnx_error.empty()) {
          try {
            onnx_feeds = make_model_feeds(onnx_inputs, {batch, seq, vocab, prepend_cls});
          } catch (const Error& e) {
            feeds_error = e.what();
          }
        }
        std::vector<std::pair<std::string, const runtime::Tensor*>> ort_feeds;
        for (const auto& [name, t] : onnx_feeds) ort_feeds.emplace_back(name, &t);
        const bool too_long = seq > max_len;
        std::vector<std::vector<double>> lat(backends.size());
        std::vector<std::string> run_error(backends.size());
        double rss_children = 0;

        auto run_once = [&](size_t i) {
          Backend& b = backends[i];
          if (b.token == "eager") {
            set_threads(threads);
            const auto t0 = Clock::now();
            const model::Mat logits = bundle->model->forward(in.ids, in.layout, false, nullptr);
            const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
            if (logits.rows() != batch) throw Error(ErrorCategory::kInternal, "eager: bad shape");
            return ms;
          }
          if (!feeds_error.empty()) throw Error(ErrorCategory::kInvalidArgument, feeds_error);
          std::map<std::string, runtime::Value> feeds;
          for (const auto& [name, t] : onnx_feeds) {
            feeds.emplace(name, runtime::Value::from_tensor(t.clone()));
          }
          const auto t0 = Clock::now();
          const auto out = b.session->run(std::move(feeds));
          return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        };

        // Round-robin: each round gives every backend its share of the iterations in turn.
        const int per_round = (c.iterations + c.rounds - 1) / c.rounds;
        for (int round = 0; round < c.rounds; ++round) {
          const int n = std::min(per_round, c.iterations - round * per_round);
          if (n <= 0) break;
          for (size_t i = 0; i < backends.size(); ++i) {
            Backend& b = backends[i];
            if (!b.result || too_long || !run_error[i].empty()) continue;
            try {
              if (b.token == "ort") {
                if (!feeds_error.empty()) throw Error(ErrorCategory::kInvalidArgument, feeds_error);
                parity::OrtRunOptions o;
                o.threads = threads;
                o.allow_spinning = c.ort_spinning;
                o.warmup = round == 0 ? c.warmup : 0;
                o.iterations = n;
                const parity::OrtRunResult r = ort->run(c.onnx, ort_feeds, o);
                lat[i].insert(lat[i].end(), r.latencies_ms.begin(), r.latencies_ms.end());
                // The runner's own VmHWM: getrusage's children figure would include the pages
                // of this process at fork time (the model, loaded here too).
                rss_children =
                    std::max(rss_children, r.peak_rss_mb > 0 ? r.peak_rss_mb : peak_rss_mb(true));
                if (!r.provider.empty()) b.row_base["provider_used"] = r.provider;
                continue;
              }
              if (round == 0) {
                for (int w = 0; w < c.warmup; ++w) (void)run_once(i);
              }
              for (int k = 0; k < n; ++k) lat[i].push_back(run_once(i));
            } catch (const Error& e) {
              run_error[i] = e.what();
            }
          }
        }

        for (size_t i = 0; i < backends.size(); ++i) {
          const Backend& b = backends[i];
          nlohmann::json row = b.row_base;
          row["batch"] = batch;
          row["seq_len"] = seq;
          row["warmup"] = c.warmup;
          row["iterations"] = c.iterations;
          const double flops = forward_flops_per_sample(fm, seq);
          row["flops_per_sample"] = flops > 0 ? nlohmann::json(flops) : nlohmann::json(nullptr);
          for (const std::string& f : timing_fields()) row[f] = nullptr;
          row["peak_rss_mb"] = nullptr;
          std::string note = row["note"].get<std::string>();
          auto add_note = [&note](const std::string& s) { note += (note.empty() ? "" : "; ") + s; };
          const std::string status = row["parity_status"].get<std::string>();
          if (!b.error.empty()) {
            add_note("did not run: " + b.error);
          } else if (!parity_is_result(status)) {
            add_note(
                fmt::format("parity {} for this artifact: no timings reported as results", status));
          } else if (too_long) {
            add_note(
                fmt::format("seq_len {} exceeds the model's max_len {}: not run", seq, max_len));
          } else if (!run_error[i].empty()) {
            add_note("run failed: " + run_error[i]);
          } else if (!lat[i].empty()) {
            const LatencyStats s = summarize(lat[i]);
            row["mean_ms"] = s.mean_ms;
            row["p50_ms"] = s.p50_ms;
            row["p95_ms"] = s.p95_ms;
            row["p99_ms"] = s.p99_ms;
            row["min_ms"] = s.min_ms;
            row["max_ms"] = s.max_ms;
            row["samples_per_s"] = s.mean_ms > 0 ? batch * 1000.0 / s.mean_ms : 0.0;
            row["gflops"] =
                flops > 0 && s.mean_ms > 0 ? flops * batch / (s.mean_ms / 1000.0) / 1e9 : 0.0;
            row["peak_rss_mb"] = b.token == "ort" ? rss_children : peak_rss_mb(false);
            if (b.token == "ort") add_note("peak_rss_mb is the ONNX Runtime process's");
          }
          row["note"] = note;
          result.rows.push_back(std::move(row));
        }
      }
    }
  }
  return result;
}

}  // namespace bog::bench
