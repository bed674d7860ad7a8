// One (batch, seq_len) cell of the matrix: the same inputs for every backend, the backends
// timed in turn over round-robin passes, and one row each (timings only where the row is a
// result).
#include <fmt/format.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <map>

#include "bench/bench_row.h"
#include "bench/bench_stats.h"
#include "bench/bench_steps.h"
#include "bench/graph_flops.h"
#include "bench/model_feeds.h"
#include "common/error.h"
#include "model/tokenizer/tokenizer.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace bog::bench::steps {
namespace {

using Clock = std::chrono::steady_clock;

struct EagerInputs {
  std::vector<int> ids;
  model::SeqLayout layout;
};

// Deterministic token ids in [4, vocab), the CLS id first when the model prepends one; full mask.
EagerInputs synthetic_inputs(int batch, int seq, int vocab, bool prepend_cls) {
  EagerInputs in;
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

// Eigen's GEMM follows the calling thread's OpenMP thread count (see the cpu provider).
void set_threads(int threads) {
#ifdef _OPENMP
  omp_set_num_threads(threads);
#endif
}

// What every backend of the cell is fed.
struct CellInputs {
  EagerInputs eager;
  // The artifact's feeds: token ids and a full mask by name, generic values otherwise.
  std::map<std::string, runtime::Tensor> onnx;
  std::string onnx_error;  // the feeds could not be made
  parity::OrtRunner::Feeds ort;
};

void cell_inputs(const Prepared& p, int batch, int seq, CellInputs& in) {
  in.eager = synthetic_inputs(batch, seq, static_cast<int>(p.facts.vocab), p.facts.prepend_cls);
  if (p.artifact.error.empty()) {
    try {
      in.onnx =
          make_model_feeds(p.artifact.inputs, {batch, seq, p.facts.vocab, p.facts.prepend_cls});
    } catch (const Error& e) {
      in.onnx_error = e.what();
    }
  }
  for (const auto& [name, t] : in.onnx) in.ort.emplace_back(name, &t);
}

// What the passes measured, per backend.
struct CellTimings {
  std::vector<std::vector<double>> latencies_ms;
  std::vector<std::string> run_error;
  double ort_peak_rss_mb = 0;
};

// FLOPs per sample of the cell and where they come from: the architecture's closed form for our
// own models, else one observed run of one sample at the cell's sequence length on the first
// interpreter backend that can run it (untimed). One sample, not the cell's batch: an observed
// run goes whole, and a whole-batch run of a BERT-base-size model at batch 8 left its memory
// plan (hundreds of MB) in the session beside the lanes' own.
struct CellFlops {
  double per_sample = 0;
  std::string source;  // "architecture", "graph", or empty when unknown
};

CellFlops cell_flops(const Prepared& p, std::vector<Backend>& backends, const CellInputs& in,
                     int batch, int seq, bool too_long) {
  CellFlops f;
  f.per_sample = forward_flops_per_sample(p.facts.flops, seq);
  if (f.per_sample > 0) {
    f.source = "architecture";
    return f;
  }
  if (too_long || !in.onnx_error.empty() || batch <= 0) return f;
  for (Backend& b : backends) {
    if (!b.result || !b.session || b.token == "eager") continue;
    try {
      const double per_sample = run_and_count_flops(
          *b.session,
          make_model_feeds(p.artifact.inputs, {1, seq, p.facts.vocab, p.facts.prepend_cls}));
      if (per_sample > 0) {
        f.per_sample = per_sample;
        f.source = "graph";
      }
    } catch (const Error&) {
      // The timed runs report this backend's error; try the next one.
      continue;
    }
    break;
  }
  return f;
}

// One untimed-or-timed run of an eager or interpreter backend, in ms.
double run_once(const Prepared& p, Backend& b, const CellInputs& in, int threads, int batch) {
  if (b.token == "eager") {
    set_threads(threads);
    const auto t0 = Clock::now();
    const model::Mat logits =
        p.bundle.bundle->model->forward(in.eager.ids, in.eager.layout, false, nullptr);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (logits.rows() != batch) throw Error(ErrorCategory::kInternal, "eager: bad shape");
    return ms;
  }
  if (!in.onnx_error.empty()) throw Error(ErrorCategory::kInvalidArgument, in.onnx_error);
  std::map<std::string, runtime::Value> feeds;
  for (const auto& [name, t] : in.onnx) {
    feeds.emplace(name, runtime::Value::from_tensor(t.clone()));
  }
  const auto t0 = Clock::now();
  const auto out = b.session->run(std::move(feeds));
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// `n` timed ORT runs in its own process (after the warm-up on round 0).
void run_ort(const BenchConfig& c, const Prepared& p, Backend& b, const CellInputs& in, int threads,
             int round, int n, std::vector<double>& lat, double& rss) {
  if (!in.onnx_error.empty()) throw Error(ErrorCategory::kInvalidArgument, in.onnx_error);
  parity::OrtRunOptions o;
  o.threads = threads;
  o.allow_spinning = c.ort_spinning;
  o.warmup = round == 0 ? c.warmup : 0;
  o.iterations = n;
  const parity::OrtRunResult r = p.ort.runner->run(c.onnx, in.ort, o);
  lat.insert(lat.end(), r.latencies_ms.begin(), r.latencies_ms.end());
  // The runner's own VmHWM: getrusage's children figure would include the pages of this
  // process at fork time (the model, loaded here too).
  rss = std::max(rss, r.peak_rss_mb > 0 ? r.peak_rss_mb : peak_rss_mb(true));
  if (!r.provider.empty()) b.row_base["provider_used"] = r.provider;
}

// Round-robin: each round gives every backend its share of the iterations in turn.
CellTimings measure(const BenchConfig& c, const Prepared& p, std::vector<Backend>& backends,
                    const CellInputs& in, int threads, int batch, bool too_long) {
  CellTimings t;
  t.latencies_ms.resize(backends.size());
  t.run_error.resize(backends.size());
  const int per_round = (c.iterations + c.rounds - 1) / c.rounds;
  for (int round = 0; round < c.rounds; ++round) {
    const int n = std::min(per_round, c.iterations - round * per_round);
    if (n <= 0) break;
    for (size_t i = 0; i < backends.size(); ++i) {
      Backend& b = backends[i];
      if (!b.result || too_long || !t.run_error[i].empty()) continue;
      try {
        if (b.token == "ort") {
          run_ort(c, p, b, in, threads, round, n, t.latencies_ms[i], t.ort_peak_rss_mb);
          continue;
        }
        if (round == 0) {
          for (int w = 0; w < c.warmup; ++w) (void)run_once(p, b, in, threads, batch);
        }
        for (int k = 0; k < n; ++k) t.latencies_ms[i].push_back(run_once(p, b, in, threads, batch));
      } catch (const Error& e) {
        t.run_error[i] = e.what();
      }
    }
  }
  return t;
}

// Backend i's row: its base, the cell, and the timings or the reason there are none.
nlohmann::json cell_row(const BenchConfig& c, const Prepared& p, const Backend& b,
                        const CellTimings& t, const CellFlops& cf, size_t i, int batch, int seq,
                        bool too_long) {
  nlohmann::json row = b.row_base;
  row["batch"] = batch;
  row["seq_len"] = seq;
  row["warmup"] = c.warmup;
  row["iterations"] = c.iterations;
  const double flops = cf.per_sample;
  row["flops_per_sample"] = flops > 0 ? nlohmann::json(flops) : nlohmann::json(nullptr);
  row["flops_source"] = cf.source.empty() ? nlohmann::json(nullptr) : nlohmann::json(cf.source);
  for (const std::string& f : timing_fields()) row[f] = nullptr;
  row["peak_rss_mb"] = nullptr;
  RowNote note(row["note"].get<std::string>());
  const std::string gate = timing_gate_note(b.error, row["parity_status"].get<std::string>());
  if (!gate.empty()) {
    note.add(gate);
  } else if (too_long) {
    note.add(
        fmt::format("seq_len {} exceeds the model's max_len {}: not run", seq, p.facts.max_len));
  } else if (!t.run_error[i].empty()) {
    note.add("run failed: " + t.run_error[i]);
  } else if (!t.latencies_ms[i].empty()) {
    const LatencyStats s = summarize(t.latencies_ms[i]);
    put_latency_fields(row, s);
    row["samples_per_s"] = s.mean_ms > 0 ? batch * 1000.0 / s.mean_ms : 0.0;
    const double gflops =
        flops > 0 && s.mean_ms > 0 ? flops * batch / (s.mean_ms / 1e3) / 1e9 : 0.0;
    row["gflops"] = gflops;
    const double peak = p.gemm_peak_gflops * row.value("threads", 1);
    row["gemm_peak_fraction"] =
        gflops > 0 && peak > 0 ? nlohmann::json(gflops / peak) : nlohmann::json(nullptr);
    row["peak_rss_mb"] = b.token == "ort" ? t.ort_peak_rss_mb : peak_rss_mb(false);
    if (b.token == "ort") note.add("peak_rss_mb is the ONNX Runtime process's");
  }
  row["note"] = note.str();
  return row;
}

}  // namespace

void bench_cell(const BenchConfig& c, const Prepared& p, std::vector<Backend>& backends,
                int threads, int batch, int seq, nlohmann::json& rows) {
  CellInputs in;
  cell_inputs(p, batch, seq, in);
  const bool too_long = seq > p.facts.max_len;
  const CellFlops cf = cell_flops(p, backends, in, batch, seq, too_long);
  const CellTimings t = measure(c, p, backends, in, threads, batch, too_long);
  for (size_t i = 0; i < backends.size(); ++i) {
    rows.push_back(cell_row(c, p, backends[i], t, cf, i, batch, seq, too_long));
  }
}

}  // namespace bog::bench::steps
