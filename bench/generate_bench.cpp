#include "bench/generate_bench.h"

#include <fmt/format.h>
#include <sys/utsname.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "bench/bench_config.h"
#include "bench/bench_row.h"
#include "bench/bench_stats.h"
#include "bench/model_feeds.h"
#include "common/error.h"
#include "generate/genai_config.h"
#include "generate/generator.h"
#include "model/bundle.h"
#include "model/data/sha256.h"
#include "model/tokenizer/tokenizer.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/session.h"
#include "parity/model_parity.h"
#include "parity/ort_runner.h"

namespace bog::bench {
namespace fs = std::filesystem;
using nlohmann::json;

void validate(const GenerateBenchConfig& c) {
  auto bad = [](const std::string& m) { throw Error(ErrorCategory::kInvalidArgument, m); };
  if (c.onnx.empty()) bad("bench --generate needs --onnx FILE (a decoder graph)");
  if (c.backends.empty()) bad("--backends: empty list");
  for (const std::string& b : c.backends) {
    if (b == "eager") bad("--backends: eager has no generation loop here; use cpu, reference, ort");
    if (std::find(known_backends().begin(), known_backends().end(), b) == known_backends().end())
      bad(fmt::format("--backends: unknown backend '{}'", b));
  }
  if (c.batch.empty() || c.threads.empty()) bad("--batch and --threads need at least one value");
  for (const int b : c.batch)
    if (b < 1) bad(fmt::format("--batch: {} is not a positive size", b));
  for (const int t : c.threads)
    if (t < 1) bad(fmt::format("--threads: {} is not a positive count", t));
  if (c.prompt_len < 1) bad("--prompt-len must be >= 1");
  if (c.new_tokens < 1) bad("--new-tokens must be >= 1");
  if (c.warmup < 0) bad("--warmup must be >= 0");
  if (c.iterations < 1) bad("--iterations must be >= 1");
}

std::vector<std::vector<int64_t>> synthetic_prompts(int batch, int len, int64_t vocab) {
  const uint64_t span = static_cast<uint64_t>(std::max<int64_t>(1, vocab - 4));
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(batch));
  for (int b = 0; b < batch; ++b) {
    generate::Rng rng(0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(b));
    for (int t = 0; t < len; ++t)
      out[static_cast<size_t>(b)].push_back(4 + static_cast<int64_t>(rng.next() % span));
  }
  return out;
}

namespace {

// One timed generation's figures, whichever backend made them.
struct Run {
  std::vector<std::vector<int64_t>> tokens;
  double prefill_ms = 0;
  std::vector<double> decode_ms;
  int64_t decode_tokens = 0;
  std::string cache_used;
  std::string cache_note;
  double peak_rss_mb = 0;  // ONNX Runtime's process (its VmHWM); ours is this process's
};

struct Backend {
  std::string token;  // cpu, reference, cuda, ort
  std::string mode;   // cached, uncached
  fs::path onnx;      // the file it runs (--onnx, or --baseline-onnx for the baseline row)
  bool baseline = false;
  json row_base;
  std::string error;  // set: cannot run; the note says why
  bool result = false;
  std::unique_ptr<runtime::Session> session;
  std::unique_ptr<generate::Generator> generator;
  std::vector<Run> runs;
  std::string run_error;
};

std::string status_for(const std::optional<json>& report, const std::string& provider) {
  if (!report) return "missing";
  for (const auto& r : report->value("results", json::array())) {
    if (r.value("provider_requested", "") == provider)
      return r.value("passed", false) ? "passed" : "failed";
  }
  return "missing";
}

std::string joined(const std::vector<std::string>& v) {
  return fmt::format("{}", fmt::join(v, "+"));
}

Run run_ours(Backend& b, const std::vector<std::vector<int64_t>>& prompts, int new_tokens) {
  generate::GenerationOptions o;
  o.max_new_tokens = new_tokens;  // no EOS: every row makes exactly new_tokens
  o.cache = b.mode == "cached" ? generate::CacheMode::kShared : generate::CacheMode::kNone;
  const generate::GenerationResult g = b.generator->generate(prompts, o);
  Run r;
  for (const generate::RowResult& row : g.rows) r.tokens.push_back(row.tokens);
  r.prefill_ms = g.prefill_ms;
  r.decode_ms = g.decode_ms;
  r.decode_tokens = g.decode_tokens;
  r.cache_used = generate::cache_mode_name(g.cache);
  r.cache_note = g.cache_note;
  return r;
}

Run run_ort(const parity::OrtRunner& ort, const GenerateBenchConfig& c, const fs::path& onnx,
            int threads, const std::vector<std::vector<int64_t>>& prompts) {
  parity::OrtGenerateOptions o;
  o.new_tokens = c.new_tokens;
  o.threads = threads;
  o.allow_spinning = c.ort_spinning;
  o.warmup = c.warmup;  // a fresh ORT session per call: it warms up on its own
  const parity::OrtGenerateResult g = ort.generate(onnx, prompts, o);
  Run r;
  r.tokens = g.tokens;
  r.prefill_ms = g.prefill_ms;
  r.decode_ms = g.decode_ms;
  r.decode_tokens = static_cast<int64_t>(g.decode_ms.size() * prompts.size());
  r.cache_used = "feed-back";
  r.peak_rss_mb = g.peak_rss_mb;
  return r;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[(v.size() - 1) / 2];
}

// The row of one backend in one cell: the usual fields over its decode steps, plus the
// generation fields.
json finish_row(const Backend& b, int batch, const GenerateBenchConfig& c) {
  json row = b.row_base;
  row["batch"] = batch;
  row["seq_len"] = c.prompt_len + c.new_tokens;
  row["warmup"] = c.warmup;
  row["iterations"] = c.iterations;
  row["prompt_len"] = c.prompt_len;
  row["new_tokens"] = c.new_tokens;
  row["flops_per_sample"] = nullptr;
  row["flops_source"] = nullptr;
  row["peak_rss_mb"] = nullptr;
  for (const std::string& f : timing_fields()) row[f] = nullptr;
  for (const char* f : {"prefill_ms", "decode_ms_p50", "decode_tokens_per_s"}) row[f] = nullptr;
  row["cache_used"] = b.runs.empty() ? json(nullptr) : json(b.runs.back().cache_used);
  RowNote note(row["note"].get<std::string>());
  const std::string gate = timing_gate_note(b.error, row["parity_status"].get<std::string>());
  if (!gate.empty()) {
    note.add(gate);
  } else if (!b.run_error.empty()) {
    note.add("run failed: " + b.run_error);
  } else if (!b.runs.empty()) {
    std::vector<double> steps, prefill;
    double decode_ms = 0;
    int64_t decode_tokens = 0;
    for (const Run& r : b.runs) {
      steps.insert(steps.end(), r.decode_ms.begin(), r.decode_ms.end());
      prefill.push_back(r.prefill_ms);
      for (const double d : r.decode_ms) decode_ms += d;
      decode_tokens += r.decode_tokens;
    }
    row["prefill_ms"] = median(prefill);
    if (!steps.empty()) {
      const LatencyStats s = summarize(steps);
      put_latency_fields(row, s);
      row["decode_ms_p50"] = s.p50_ms;
      const double tps = decode_ms > 0 ? decode_tokens * 1000.0 / decode_ms : 0.0;
      row["decode_tokens_per_s"] = tps;
      row["samples_per_s"] = tps;
    }
    if (b.token == "ort") {
      // The runner's own VmHWM: getrusage's children figure counts this process's pages too.
      double ort_rss = 0;
      for (const Run& r : b.runs) ort_rss = std::max(ort_rss, r.peak_rss_mb);
      row["peak_rss_mb"] = ort_rss > 0 ? json(ort_rss) : json(nullptr);
      note.add("peak_rss_mb is the ONNX Runtime process's own");
    } else {
      row["peak_rss_mb"] = peak_rss_mb(false);
    }
    if (!b.runs.back().cache_note.empty()) note.add("cache: " + b.runs.back().cache_note);
  }
  row["note"] = note.str();
  return row;
}

}  // namespace

BenchResult run_generate_bench(const GenerateBenchConfig& c, const Progress& progress) {
  validate(c);
  auto say = [&progress](const std::string& s) {
    if (progress) progress(s);
  };
  std::error_code ec;
  if (!fs::is_regular_file(c.onnx, ec)) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("artifact {} not found", c.onnx.filename().string()));
  }
  BenchResult result;
  result.environment = environment_json();
  const std::string sha = model::sha256_file_hex(c.onnx);
  const std::optional<json> parity_report = parity::read_parity_report(c.onnx);
  result.artifact = {
      {"file", c.onnx.filename().string()},
      {"sha256", sha},
      {"parity_report", parity_report ? "present" : "missing"},
      {"parity_passed", parity_report ? parity_report->value("passed", false) : false}};
  // The decoder's shape and vocabulary, from a reference session (checks the naming early).
  int64_t vocab = 0;
  {
    runtime::Model m = runtime::load_model(c.onnx);
    vocab = embedding_vocab(m);
    runtime::SessionOptions o;
    o.providers = {"reference"};
    o.optimize = false;
    runtime::Session s(std::move(m), o);
    const generate::DecoderSpec spec = generate::inspect_decoder(s);
    if (spec.vocab > 0) vocab = vocab > 0 ? std::min(vocab, spec.vocab) : spec.vocab;
    result.artifact["layers"] = spec.layers;
    result.artifact["kv_heads"] = spec.kv_heads;
    result.artifact["head_dim"] = spec.head_dim;
  }
  if (vocab <= 4) throw Error(ErrorCategory::kInvalidModel, "cannot tell the decoder's vocabulary");
  result.artifact["vocab"] = vocab;
  // The last new token is never fed back, so prompt + new - 1 positions must fit the context;
  // past it the graph's position tables would fail mid-run.
  if (const auto cfg_path = generate::find_genai_config(c.onnx)) {
    const int64_t context = generate::read_genai_config(*cfg_path).context_length;
    if (context > 0 && c.prompt_len + c.new_tokens - 1 > context) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("--prompt-len {} with --new-tokens {} needs {} positions; the "
                              "model's context is {} ({})",
                              c.prompt_len, c.new_tokens, c.prompt_len + c.new_tokens - 1, context,
                              cfg_path->filename().string()));
    }
    result.artifact["context_length"] = context;
  }

  std::optional<parity::OrtRunner> ort;
  std::string ort_error;
  const bool baseline = !c.baseline_onnx.empty();
  std::optional<json> baseline_parity;
  std::string baseline_sha;
  if (baseline) {
    if (!fs::is_regular_file(c.baseline_onnx, ec))
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("baseline {} not found", c.baseline_onnx.filename().string()));
    baseline_parity = parity::read_parity_report(c.baseline_onnx);
    baseline_sha = model::sha256_file_hex(c.baseline_onnx);
    result.artifact["baseline"] = {
        {"file", c.baseline_onnx.filename().string()},
        {"sha256", baseline_sha},
        {"parity_report", baseline_parity ? "present" : "missing"},
        {"parity_passed", baseline_parity ? baseline_parity->value("passed", false) : false}};
  }
  if (baseline || std::find(c.backends.begin(), c.backends.end(), "ort") != c.backends.end()) {
    ort = parity::OrtRunner::find();
    if (ort)
      result.ort_version = ort->version();
    else
      ort_error = "ONNX Runtime unavailable: " + parity::OrtRunner::why_unavailable();
  }
  utsname u{};
  uname(&u);
  const json context = {{"device", "cpu"},
                        {"device_name", model::host_cpu_model()},
                        {"host", std::string(u.sysname) + "-" + u.machine},
                        {"ort_version", result.ort_version},
                        {"architecture", "decoder"},
                        {"parameters", 0}};

  for (const int threads : c.threads) {
    std::vector<Backend> backends;
    std::vector<std::string> tokens = c.backends;
    if (baseline) tokens.emplace_back("ort-baseline");
    for (const std::string& listed : tokens) {
      const bool is_baseline = listed == "ort-baseline";
      const std::string token = is_baseline ? "ort" : listed;
      std::vector<std::string> modes = {"cached"};
      if (c.no_cache_too && token != "ort") modes.push_back("uncached");
      for (const std::string& mode : modes) {
        Backend b;
        b.token = token;
        b.mode = mode;
        b.onnx = is_baseline ? c.baseline_onnx : c.onnx;
        b.baseline = is_baseline;
        json& r = b.row_base;
        r = context;
        r["artifact"] = b.onnx.filename().string();
        r["baseline"] = is_baseline;
        r["threads"] = threads;
        r["precision"] = "fp32";
        r["optimize"] = c.optimize;
        r["fallback_reason"] = "";
        r["random_init_used"] = false;
        r["checkpoint_loaded"] = false;
        r["model_sha256"] = is_baseline ? baseline_sha : sha;
        r["mode"] = mode;
        r["tokens_match_ort"] = nullptr;
        r["parity_status"] = status_for(is_baseline ? baseline_parity : parity_report, token);
        if (token == "ort") {
          r["backend"] = "onnxruntime";
          r["provider_requested"] = "cpu";
          r["provider_used"] = ort ? "cpu" : "none";
          r["note"] = fmt::format(
              "onnxruntime-node {} CPU, intra-op threads {}, spinning {}; its loop feeds present "
              "back as past",
              result.ort_version, threads, c.ort_spinning ? "on (its default)" : "off");
          if (!ort) b.error = ort_error;
        } else {
          r["backend"] = "interpreter";
          r["provider_requested"] = token;
          r["provider_used"] = "none";
          r["note"] = mode == "cached" ? "generate::Generator, KV cache shared by past and present"
                                       : "generate::Generator without a cache (every step "
                                         "recomputes the whole sequence)";
          try {
            runtime::SessionOptions o;
            o.providers = {token};
            if (token != "reference") o.providers.push_back("reference");
            o.threads = threads;
            o.optimize = c.optimize;
            if (mode == "cached") o.kv_cache = std::make_shared<runtime::KvCacheState>();
            b.session = std::make_unique<runtime::Session>(runtime::load_model(c.onnx), o);
            b.generator = std::make_unique<generate::Generator>(*b.session);
            const runtime::PlacementReport& pr = b.session->placement();
            r["provider_used"] = joined(pr.used);
            r["fallback_reason"] = fmt::format("{}", fmt::join(pr.fallback_reasons(), "; "));
            if (joined(pr.used) != token) {
              r["note"] = r["note"].get<std::string>() +
                          fmt::format("; requested provider '{}' did not run every node: {}", token,
                                      kFallbackCaveat);
            }
          } catch (const Error& e) {
            b.error = e.what();
          }
        }
        b.result = b.error.empty() && parity_is_result(r["parity_status"].get<std::string>());
        backends.push_back(std::move(b));
      }
    }

    for (const int batch : c.batch) {
      say(fmt::format("generate batch={} threads={} prompt={} new={}", batch, threads, c.prompt_len,
                      c.new_tokens));
      const auto prompts = synthetic_prompts(batch, c.prompt_len, vocab);
      for (Backend& b : backends) {
        b.runs.clear();
        b.run_error.clear();
      }
      for (int round = 0; round < c.iterations; ++round) {
        for (Backend& b : backends) {
          if (!b.result || !b.run_error.empty()) continue;
          try {
            if (b.token == "ort") {
              b.runs.push_back(run_ort(*ort, c, b.onnx, threads, prompts));
              if (!b.runs.back().tokens.empty()) b.row_base["provider_used"] = "cpu";
              continue;
            }
            if (round == 0) {
              for (int w = 0; w < c.warmup; ++w) (void)run_ours(b, prompts, c.new_tokens);
            }
            b.runs.push_back(run_ours(b, prompts, c.new_tokens));
          } catch (const Error& e) {
            b.run_error = e.what();
          }
        }
      }
      const Backend* ort_b = nullptr;
      for (const Backend& b : backends)
        if (b.token == "ort" && !b.baseline && !b.runs.empty()) ort_b = &b;
      for (const Backend& b : backends) {
        json row = finish_row(b, batch, c);
        if (b.token != "ort" && ort_b != nullptr && !b.runs.empty()) {
          row["tokens_match_ort"] = b.runs.back().tokens == ort_b->runs.back().tokens;
          if (!row["tokens_match_ort"].get<bool>()) {
            row["note"] = row["note"].get<std::string>() +
                          "; its greedy tokens differ from ONNX Runtime's on the same prompts";
          }
        }
        result.rows.push_back(std::move(row));
      }
    }
  }
  return result;
}

}  // namespace bog::bench
