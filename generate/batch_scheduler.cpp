#include "generate/batch_scheduler.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <optional>

#include "common/error.h"
#include "onnx_runtime/kv_cache_state.h"

namespace bog::generate {

using runtime::DType;
using runtime::Tensor;

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

struct BatchScheduler::Impl {
  struct Seq {
    SequenceRequest req;
    Rng rng{0};
    std::vector<int64_t> seen;  // prompt + generated (the repetition penalty's history)
    RowResult result;
    int64_t len = 0;         // tokens in the cache
    int64_t last_token = 0;  // chosen, not yet fed
  };

  runtime::Session& session;
  SchedulerOptions opt;
  DecoderSpec spec;
  std::vector<Tensor> cache_k, cache_v;      // [max_active, Hkv, capacity, D] per layer
  std::vector<Tensor> prefill_k, prefill_v;  // [1, Hkv, capacity, D] per layer
  std::vector<Tensor> inputs, outputs;
  Tensor ids_buf, mask_buf, pos_buf;  // int64, sized for the largest step
  std::vector<Seq> rows;              // active, row i in cache row i
  int64_t past = 0;                   // common past length P
  std::deque<Seq> queue;
  std::optional<Seq> prefilling;
  int64_t prefilled = 0;  // prompt tokens of `prefilling` in the prefill cache
  std::vector<Candidate> scratch;
  SchedulerStats stats;

  Impl(runtime::Session& s, SchedulerOptions o) : session(s), opt(o), spec(inspect_decoder(s)) {
    if (opt.max_active < 1 || opt.prefill_chunk < 1 || opt.capacity < 2)
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("batch scheduler: max_active ({}) and prefill_chunk ({}) must be "
                              ">= 1 and the capacity ({}) >= 2",
                              opt.max_active, opt.prefill_chunk, opt.capacity));
    const std::string blocker = shared_cache_blocker(s, spec);
    if (!blocker.empty())
      throw Error(ErrorCategory::kUnsupported,
                  "continuous batching needs a KV cache shared in place: " + blocker);
    s.kv_cache_state()->capacity = opt.capacity;
    for (int l = 0; l < spec.layers; ++l) {
      const runtime::Shape rows_shape{opt.max_active, spec.kv_heads, opt.capacity, spec.head_dim};
      const runtime::Shape one_shape{1, spec.kv_heads, opt.capacity, spec.head_dim};
      cache_k.emplace_back(DType::kFloat32, rows_shape);  // zeroed: padding stays finite
      cache_v.emplace_back(DType::kFloat32, rows_shape);
      prefill_k.emplace_back(DType::kFloat32, one_shape);
      prefill_v.emplace_back(DType::kFloat32, one_shape);
    }
    inputs.resize(spec.num_inputs);
    outputs.resize(spec.num_outputs);
    const int64_t width = std::max<int64_t>(opt.max_active, opt.prefill_chunk);
    ids_buf = Tensor(DType::kInt64, {width});
    pos_buf = Tensor(DType::kInt64, {width});
    mask_buf = Tensor(DType::kInt64, {opt.max_active * opt.capacity});
  }

  int64_t row_floats() const { return spec.kv_heads * opt.capacity * spec.head_dim; }

  // Copies columns [from, from + n) of cache row `src` (in `src_buf`) to columns [to, to + n) of
  // row `dst` (in `dst_buf`), for every head of every layer's keys and values.
  void copy_columns(std::vector<Tensor>& src_buf, int64_t src, std::vector<Tensor>& dst_buf,
                    int64_t dst, int64_t from, int64_t to, int64_t n) {
    if (n <= 0 || (&src_buf == &dst_buf && src == dst && from == to)) return;
    const int64_t d = spec.head_dim;
    for (size_t l = 0; l < src_buf.size(); ++l) {
      const float* s = src_buf[l].data<float>() + src * row_floats();
      float* t = dst_buf[l].data<float>() + dst * row_floats();
      for (int64_t h = 0; h < spec.kv_heads; ++h) {
        std::memmove(t + (h * opt.capacity + to) * d, s + (h * opt.capacity + from) * d,
                     static_cast<size_t>(n * d) * sizeof(float));
      }
    }
  }
  void copy_row_columns(int64_t src, int64_t dst, int64_t from, int64_t to, int64_t n) {
    copy_columns(cache_k, src, cache_k, dst, from, to, n);
    copy_columns(cache_v, src, cache_v, dst, from, to, n);
  }

  void validate(const SequenceRequest& r) const {
    generate::validate(r.sampling);
    if (r.prompt.empty()) throw Error(ErrorCategory::kInvalidArgument, "an empty prompt");
    if (r.max_new_tokens < 1)
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("max new tokens must be >= 1 (got {})", r.max_new_tokens));
    const int64_t vocab = opt.vocab_limit > 0 ? opt.vocab_limit : spec.vocab;
    for (const int64_t t : r.prompt) {
      if (t < 0 || (vocab > 0 && t >= vocab))
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("prompt token id {} is outside the vocabulary [0, {})", t, vocab));
    }
    if (static_cast<int64_t>(r.prompt.size()) >= opt.capacity)
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("the prompt has {} tokens; the context holds {} (at least one must "
                              "be left to generate)",
                              r.prompt.size(), opt.capacity));
  }

  // Binds past inputs to `buf` rows [0, b) with `p` columns and present outputs to `p + s`.
  void bind(std::vector<Tensor>& bk, std::vector<Tensor>& bv, int64_t b, int64_t p, int64_t s) {
    const int64_t past_shape[4] = {b, spec.kv_heads, p, spec.head_dim};
    const int64_t total_shape[4] = {b, spec.kv_heads, p + s, spec.head_dim};
    for (int l = 0; l < spec.layers; ++l) {
      const auto u = static_cast<size_t>(l);
      inputs[static_cast<size_t>(spec.past_key[u])].assign_borrow(DType::kFloat32, past_shape,
                                                                  bk[u].raw());
      inputs[static_cast<size_t>(spec.past_value[u])].assign_borrow(DType::kFloat32, past_shape,
                                                                    bv[u].raw());
      outputs[static_cast<size_t>(spec.present_key[u])].assign_borrow(DType::kFloat32, total_shape,
                                                                      bk[u].raw());
      outputs[static_cast<size_t>(spec.present_value[u])].assign_borrow(DType::kFloat32,
                                                                        total_shape, bv[u].raw());
    }
  }

  // Feeds ids and positions [b, s] and the mask [b, t] from the buffers' first elements.
  void feed(int64_t b, int64_t s, int64_t t) {
    const int64_t bs[2] = {b, s};
    const int64_t bt[2] = {b, t};
    inputs[static_cast<size_t>(spec.input_ids)].assign_borrow(DType::kInt64, bs, ids_buf.raw());
    if (spec.has_position_ids)
      inputs[static_cast<size_t>(spec.position_ids)].assign_borrow(DType::kInt64, bs,
                                                                   pos_buf.raw());
    if (spec.has_attention_mask)
      inputs[static_cast<size_t>(spec.attention_mask)].assign_borrow(DType::kInt64, bt,
                                                                     mask_buf.raw());
  }

  // Runs the session and returns the logits [b, s, vocab].
  const Tensor& run(std::vector<Tensor>& bk, std::vector<Tensor>& bv, int64_t b, int64_t s) {
    session.run(inputs, outputs);
    for (int l = 0; l < spec.layers; ++l) {
      const auto u = static_cast<size_t>(l);
      if (outputs[static_cast<size_t>(spec.present_key[u])].raw() != bk[u].raw() ||
          outputs[static_cast<size_t>(spec.present_value[u])].raw() != bv[u].raw())
        throw Error(ErrorCategory::kInternal, "the session did not append the KV cache in place");
    }
    const Tensor& lg = outputs[static_cast<size_t>(spec.logits)];
    if (lg.dtype() != DType::kFloat32 || lg.rank() != 3 || lg.dim(0) != b || lg.dim(1) != s)
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("decoder logits have shape {}; expected [{}, {}, vocab]",
                              runtime::shape_to_string(lg.shape()), b, s));
    return lg;
  }

  // Chooses the sequence's next token from one logits row; true when the sequence ends.
  bool choose(Seq& q, const Tensor& lg, int64_t row) {
    const int64_t width = lg.dim(2);
    const int64_t vocab = opt.vocab_limit > 0 ? std::min(opt.vocab_limit, width) : width;
    // The logits are the session's output buffer: the penalty may change them in place.
    float* p = const_cast<float*>(lg.data<float>()) + row * width;
    const int64_t token = next_token(std::span<float>(p, static_cast<size_t>(vocab)), q.seen,
                                     q.req.sampling, q.rng, scratch);
    ++stats.tokens;
    q.result.tokens.push_back(token);
    q.seen.push_back(token);
    q.last_token = token;
    bool stop = std::find(q.req.eos_ids.begin(), q.req.eos_ids.end(), token) != q.req.eos_ids.end();
    if (q.req.on_token && !q.req.on_token(token)) stop = true;
    if (stop) {
      q.result.finish_reason = "stop";
      return true;
    }
    const auto made = static_cast<int64_t>(q.result.tokens.size());
    if (made >= q.req.max_new_tokens ||
        static_cast<int64_t>(q.req.prompt.size()) + made >= opt.capacity) {
      q.result.finish_reason = "length";
      return true;
    }
    return false;
  }

  static void finish(Seq& q, const char* reason) {
    if (reason != nullptr) q.result.finish_reason = reason;
    if (q.req.on_done) q.req.on_done(q.result);
  }

  static bool is_cancelled(const Seq& q) { return q.req.cancelled && q.req.cancelled(); }

  // Row i leaves: the last row's cache moves into it.
  void leave(size_t i) {
    const size_t last = rows.size() - 1;
    if (i != last) {
      copy_row_columns(static_cast<int64_t>(last), static_cast<int64_t>(i), past - rows[last].len,
                       past - rows[last].len, rows[last].len);
      rows[i] = std::move(rows[last]);
    }
    rows.pop_back();
    if (rows.empty()) past = 0;
  }

  void drop_cancelled() {
    for (size_t i = rows.size(); i-- > 0;) {
      if (!is_cancelled(rows[i])) continue;
      finish(rows[i], "cancelled");
      leave(i);
    }
    if (prefilling && is_cancelled(*prefilling)) {
      finish(*prefilling, "cancelled");
      prefilling.reset();
    }
    for (auto it = queue.begin(); it != queue.end();) {
      if (is_cancelled(*it)) {
        finish(*it, "cancelled");
        it = queue.erase(it);
      } else {
        ++it;
      }
    }
  }

  // The prefilled sequence takes row n, right-aligned to the common past (which grows to its
  // length when it is longer: the other rows get more padding).
  void join(Seq q) {
    if (rows.empty()) {
      past = q.len;
    } else if (q.len > past) {
      const int64_t grow = q.len - past;
      for (size_t r = 0; r < rows.size(); ++r) {
        copy_row_columns(static_cast<int64_t>(r), static_cast<int64_t>(r), past - rows[r].len,
                         past - rows[r].len + grow, rows[r].len);
      }
      past = q.len;
      ++stats.cache_shifts;
    }
    const auto row = static_cast<int64_t>(rows.size());
    copy_columns(prefill_k, 0, cache_k, row, 0, past - q.len, q.len);
    copy_columns(prefill_v, 0, cache_v, row, 0, past - q.len, q.len);
    rows.push_back(std::move(q));
  }

  bool prefill_chunk() {
    if (!prefilling) {
      if (queue.empty() || static_cast<int>(rows.size()) >= opt.max_active) return false;
      prefilling.emplace(std::move(queue.front()));
      queue.pop_front();
      prefilled = 0;
    }
    const auto t0 = std::chrono::steady_clock::now();
    Seq& q = *prefilling;
    const auto n = static_cast<int64_t>(q.req.prompt.size());
    const int64_t s = std::min<int64_t>(opt.prefill_chunk, n - prefilled);
    int64_t* ids = ids_buf.data<int64_t>();
    int64_t* pos = pos_buf.data<int64_t>();
    for (int64_t j = 0; j < s; ++j) {
      ids[j] = q.req.prompt[static_cast<size_t>(prefilled + j)];
      pos[j] = prefilled + j;
    }
    std::fill_n(mask_buf.data<int64_t>(), prefilled + s, int64_t{1});
    feed(1, s, prefilled + s);
    bind(prefill_k, prefill_v, 1, prefilled, s);
    const Tensor& lg = run(prefill_k, prefill_v, 1, s);
    prefilled += s;
    ++stats.prefill_runs;
    stats.prefill_tokens += s;
    if (prefilled == n) {
      Seq done = std::move(*prefilling);
      prefilling.reset();
      done.len = n;
      const bool ended = choose(done, lg, s - 1);
      if (ended) {
        finish(done, nullptr);
      } else {
        join(std::move(done));
      }
    }
    stats.prefill_ms += ms_since(t0);
    return true;
  }

  // Drops the columns that are padding in every row once the past fills the capacity.
  void make_room() {
    if (past < opt.capacity) return;
    int64_t longest = 0;
    for (const Seq& q : rows) longest = std::max(longest, q.len);
    const int64_t drop = past - longest;
    if (drop <= 0)
      throw Error(ErrorCategory::kInternal, "batch scheduler: a row outgrew the cache capacity");
    for (size_t r = 0; r < rows.size(); ++r) {
      copy_row_columns(static_cast<int64_t>(r), static_cast<int64_t>(r), past - rows[r].len,
                       past - drop - rows[r].len, rows[r].len);
    }
    past -= drop;
    ++stats.cache_shifts;
  }

  void decode_step() {
    const auto t0 = std::chrono::steady_clock::now();
    make_room();
    const auto b = static_cast<int64_t>(rows.size());
    const int64_t total = past + 1;
    int64_t* ids = ids_buf.data<int64_t>();
    int64_t* pos = pos_buf.data<int64_t>();
    int64_t* mask = mask_buf.data<int64_t>();
    for (int64_t r = 0; r < b; ++r) {
      const Seq& q = rows[static_cast<size_t>(r)];
      ids[r] = q.last_token;
      pos[r] = q.len;
      int64_t* m = mask + r * total;
      std::fill_n(m, past - q.len, int64_t{0});
      std::fill_n(m + past - q.len, q.len + 1, int64_t{1});
    }
    feed(b, 1, total);
    bind(cache_k, cache_v, b, past, 1);
    const auto run_start = std::chrono::steady_clock::now();
    const Tensor& lg = run(cache_k, cache_v, b, 1);
    stats.decode_session_ms += ms_since(run_start);
    past = total;
    std::vector<size_t> ended;
    for (int64_t r = 0; r < b; ++r) {
      Seq& q = rows[static_cast<size_t>(r)];
      ++q.len;
      if (choose(q, lg, r)) ended.push_back(static_cast<size_t>(r));
    }
    ++stats.decode_steps;
    stats.decode_rows += b;
    for (auto it = ended.rbegin(); it != ended.rend(); ++it) {
      finish(rows[*it], nullptr);
      leave(*it);
    }
    stats.decode_ms += ms_since(t0);
  }
};

BatchScheduler::BatchScheduler(runtime::Session& session, SchedulerOptions options)
    : impl_(std::make_unique<Impl>(session, options)) {}
BatchScheduler::~BatchScheduler() = default;

void BatchScheduler::submit(SequenceRequest request) {
  impl_->validate(request);
  Impl::Seq q;
  q.rng = Rng(request.sampling.seed);
  q.seen = request.prompt;
  q.seen.reserve(q.seen.size() + static_cast<size_t>(request.max_new_tokens));
  q.result.tokens.reserve(static_cast<size_t>(request.max_new_tokens));
  q.req = std::move(request);
  impl_->queue.push_back(std::move(q));
}

bool BatchScheduler::step() {
  Impl& m = *impl_;
  m.drop_cancelled();
  const bool prefilled = m.prefill_chunk();
  if (m.rows.empty()) return prefilled;
  m.decode_step();
  return true;
}

size_t BatchScheduler::active() const { return impl_->rows.size(); }
size_t BatchScheduler::waiting() const { return impl_->queue.size() + (impl_->prefilling ? 1 : 0); }
const SchedulerStats& BatchScheduler::stats() const { return impl_->stats; }
const SchedulerOptions& BatchScheduler::options() const { return impl_->opt; }

}  // namespace bog::generate
