#include "generate/generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "common/error.h"
#include "onnx_runtime/kv_cache_state.h"

namespace bog::generate {

using runtime::DType;
using runtime::Tensor;

const char* cache_mode_name(CacheMode mode) {
  switch (mode) {
    case CacheMode::kShared:
      return "shared";
    case CacheMode::kFeedBack:
      return "feed-back";
    case CacheMode::kNone:
      return "none";
  }
  return "?";
}

double GenerationResult::decode_ms_per_token_p50() const {
  if (decode_ms.empty()) return 0;
  std::vector<double> v = decode_ms;
  std::sort(v.begin(), v.end());
  return v[(v.size() - 1) / 2];
}

double GenerationResult::decode_tokens_per_s() const {
  double ms = 0;
  for (const double d : decode_ms) ms += d;
  if (ms <= 0) return 0;
  // Each decode step makes one token per row that was still going at that step.
  return static_cast<double>(decode_tokens) / (ms / 1000.0);
}

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

struct Generator::Impl {
  runtime::Session& session;
  DecoderSpec spec;
  runtime::KvCacheState* kv_state = nullptr;  // null: the session cannot share a cache
  std::vector<Tensor> inputs;
  std::vector<Tensor> outputs;
  std::vector<Tensor> cache_k, cache_v;  // kShared: [B, Hkv, capacity, D] per layer
  std::vector<Candidate> scratch;

  explicit Impl(runtime::Session& s) : session(s), spec(inspect_decoder(s)) {
    kv_state = s.kv_cache_state();
  }

  // Why this session cannot share its cache buffers ("" if it can).
  std::string shared_blocker() const { return shared_cache_blocker(session, spec); }

  // int64 inputs: [B, max_total] buffers made once per generation; each step feeds a view of
  // the first columns (ids and positions) or the whole history (mask), so steps allocate nothing.
  Tensor ids_buf, mask_buf, pos_buf;
  std::vector<int64_t> next_position;  // per row: its real tokens so far

  void start_buffers(int64_t b, int64_t max_total) {
    ids_buf = Tensor(DType::kInt64, {b, max_total});
    mask_buf = Tensor(DType::kInt64, {b, max_total});
    pos_buf = Tensor(DType::kInt64, {b, max_total});
    next_position.assign(static_cast<size_t>(b), 0);
  }

  // Feeds rows [.., end - n, end) of each row of `rows` (row stride `stride`) as a [B, n] input.
  void feed_int64(int index, Tensor& buf, int64_t b, int64_t n, int64_t end,
                  const std::vector<std::vector<int64_t>>& rows) {
    int64_t* p = buf.data<int64_t>();
    for (int64_t r = 0; r < b; ++r) {
      const auto& row = rows[static_cast<size_t>(r)];
      std::copy(row.begin() + (end - n), row.begin() + end, p + r * n);
    }
    const int64_t shape[2] = {b, n};
    inputs[static_cast<size_t>(index)].assign_borrow(DType::kInt64, shape, p);
  }

  // The inputs of one step: the last `s` tokens of each row's sequence; the mask over the whole
  // sequence so far; positions count the row's real tokens before each one.
  void feed_tokens(int64_t b, int64_t s, const std::vector<std::vector<int64_t>>& seq,
                   const std::vector<std::vector<int64_t>>& mask,
                   std::vector<std::vector<int64_t>>& positions) {
    const auto total = static_cast<int64_t>(mask[0].size());
    feed_int64(spec.input_ids, ids_buf, b, s, total, seq);
    if (spec.has_attention_mask) feed_int64(spec.attention_mask, mask_buf, b, total, total, mask);
    if (spec.has_position_ids) {
      for (int64_t r = 0; r < b; ++r) {
        auto& pos = positions[static_cast<size_t>(r)];
        const auto& mr = mask[static_cast<size_t>(r)];
        // Extend the row's positions to `total` (capacity reserved: no allocation).
        for (auto j = static_cast<int64_t>(pos.size()); j < total; ++j) {
          const bool real = mr[static_cast<size_t>(j)] != 0;
          pos.push_back(real ? next_position[static_cast<size_t>(r)]++ : 1);  // padding: masked
        }
      }
      feed_int64(spec.position_ids, pos_buf, b, s, total, positions);
    }
  }

  void feed_empty_past(int64_t b) {
    if (spec.kv_heads <= 0 || spec.head_dim <= 0) {
      throw Error(ErrorCategory::kInvalidModel,
                  "the decoder's past inputs do not declare kv_heads and head_dim (needed for "
                  "the zero-length past of the first step)");
    }
    for (int l = 0; l < spec.layers; ++l) {
      for (const int idx :
           {spec.past_key[static_cast<size_t>(l)], spec.past_value[static_cast<size_t>(l)]}) {
        inputs[static_cast<size_t>(idx)] =
            Tensor(DType::kFloat32, {b, spec.kv_heads, 0, spec.head_dim});
      }
    }
  }

  // kShared: past inputs are views of the cache buffers with `past` rows; present outputs are
  // bound to the same buffers with `total` rows, so run() finds them already in place.
  void bind_shared(int64_t b, int64_t past, int64_t total) {
    const int64_t past_shape[4] = {b, spec.kv_heads, past, spec.head_dim};
    const int64_t total_shape[4] = {b, spec.kv_heads, total, spec.head_dim};
    for (int l = 0; l < spec.layers; ++l) {
      const auto u = static_cast<size_t>(l);
      const std::pair<int, Tensor*> bind[2] = {{spec.past_key[u], &cache_k[u]},
                                               {spec.past_value[u], &cache_v[u]}};
      for (const auto& [index, cache] : bind)
        inputs[static_cast<size_t>(index)].assign_borrow(DType::kFloat32, past_shape, cache->raw());
      outputs[static_cast<size_t>(spec.present_key[u])].assign_borrow(DType::kFloat32, total_shape,
                                                                      cache_k[u].raw());
      outputs[static_cast<size_t>(spec.present_value[u])].assign_borrow(
          DType::kFloat32, total_shape, cache_v[u].raw());
    }
  }

  bool outputs_in_cache() const {
    for (int l = 0; l < spec.layers; ++l) {
      const auto u = static_cast<size_t>(l);
      if (outputs[static_cast<size_t>(spec.present_key[u])].raw() != cache_k[u].raw() ||
          outputs[static_cast<size_t>(spec.present_value[u])].raw() != cache_v[u].raw())
        return false;
    }
    return true;
  }

  void feed_back_present() {
    for (int l = 0; l < spec.layers; ++l) {
      const auto u = static_cast<size_t>(l);
      std::swap(inputs[static_cast<size_t>(spec.past_key[u])],
                outputs[static_cast<size_t>(spec.present_key[u])]);
      std::swap(inputs[static_cast<size_t>(spec.past_value[u])],
                outputs[static_cast<size_t>(spec.present_value[u])]);
    }
  }

  int64_t feed_back_bytes() const {
    int64_t bytes = 0;
    for (int l = 0; l < spec.layers; ++l) {
      const auto u = static_cast<size_t>(l);
      bytes += static_cast<int64_t>(outputs[static_cast<size_t>(spec.present_key[u])].nbytes() +
                                    outputs[static_cast<size_t>(spec.present_value[u])].nbytes());
    }
    return bytes;
  }

  const Tensor& logits() const {
    const Tensor& t = outputs[static_cast<size_t>(spec.logits)];
    if (t.dtype() != DType::kFloat32 || t.rank() != 3)
      throw Error(ErrorCategory::kInvalidModel,
                  "decoder logits must be [batch, sequence, vocab] float32");
    return t;
  }
};

Generator::Generator(runtime::Session& session) : impl_(std::make_unique<Impl>(session)) {}
Generator::~Generator() = default;
const DecoderSpec& Generator::spec() const { return impl_->spec; }

GenerationResult Generator::generate(const std::vector<std::vector<int64_t>>& prompts,
                                     const GenerationOptions& o, const TokenCallback& on_token,
                                     const LogitsCallback& on_logits) {
  Impl& m = *impl_;
  const DecoderSpec& spec = m.spec;
  validate(o.sampling);
  if (prompts.empty()) throw Error(ErrorCategory::kInvalidArgument, "generate: no prompt");
  if (o.max_new_tokens < 1)
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("max new tokens must be >= 1 (got {})", o.max_new_tokens));
  const int64_t vocab = o.vocab_limit > 0 ? o.vocab_limit : spec.vocab;
  int64_t longest = 0;
  GenerationResult result;
  for (const auto& p : prompts) {
    if (p.empty()) throw Error(ErrorCategory::kInvalidArgument, "generate: an empty prompt");
    for (const int64_t t : p) {
      if (t < 0 || (vocab > 0 && t >= vocab))
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("prompt token id {} is outside the vocabulary [0, {})", t, vocab));
    }
    longest = std::max<int64_t>(longest, static_cast<int64_t>(p.size()));
    result.prompt_tokens += static_cast<int64_t>(p.size());
  }
  if (o.context_length > 0 && longest >= o.context_length)
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("the prompt has {} tokens; the context holds {} (at least one must "
                            "be left to generate)",
                            longest, o.context_length));
  const auto b = static_cast<int64_t>(prompts.size());
  int64_t max_total = longest + o.max_new_tokens;
  if (o.context_length > 0) max_total = std::min(max_total, o.context_length);

  // Left padding: every row's last prompt token in the last column.
  std::vector<std::vector<int64_t>> seq(prompts.size()), mask(prompts.size()),
      positions(prompts.size());
  for (size_t r = 0; r < prompts.size(); ++r) {
    const size_t pad = static_cast<size_t>(longest) - prompts[r].size();
    seq[r].assign(pad, o.pad_id);
    seq[r].insert(seq[r].end(), prompts[r].begin(), prompts[r].end());
    mask[r].assign(pad, 0);
    mask[r].resize(static_cast<size_t>(longest), 1);
    seq[r].reserve(static_cast<size_t>(max_total) + 1);
    mask[r].reserve(static_cast<size_t>(max_total) + 1);
    positions[r].reserve(static_cast<size_t>(max_total) + 1);
  }

  CacheMode mode = o.cache;
  const std::string why_not_shared = m.shared_blocker();
  // A session that appends in place needs the cache buffers in every mode: --no-cache then
  // writes the whole sequence into them at every step.
  const bool in_place = why_not_shared.empty();
  if (mode == CacheMode::kShared && !in_place) {
    mode = CacheMode::kFeedBack;
    result.cache_note = "shared KV cache unavailable: " + why_not_shared;
  }
  if (mode == CacheMode::kFeedBack && in_place)
    throw Error(ErrorCategory::kInvalidArgument,
                "this session appends its KV cache in place; feeding present back needs a "
                "session made without SessionOptions::kv_cache");
  m.inputs.clear();
  m.inputs.resize(spec.num_inputs);
  m.outputs.clear();
  m.outputs.resize(spec.num_outputs);
  if (in_place) {
    m.kv_state->capacity = max_total;
    m.cache_k.clear();
    m.cache_v.clear();
    for (int l = 0; l < spec.layers; ++l) {
      m.cache_k.emplace_back(DType::kFloat32,
                             runtime::Shape{b, spec.kv_heads, max_total, spec.head_dim});
      m.cache_v.emplace_back(DType::kFloat32,
                             runtime::Shape{b, spec.kv_heads, max_total, spec.head_dim});
    }
  }

  m.start_buffers(b, max_total);
  result.rows.resize(prompts.size());
  for (auto& row : result.rows) row.tokens.reserve(static_cast<size_t>(o.max_new_tokens));
  result.decode_ms.reserve(static_cast<size_t>(o.max_new_tokens));
  result.cache_bytes_copied.reserve(static_cast<size_t>(o.max_new_tokens));
  std::vector<bool> done(prompts.size(), false);
  size_t running = prompts.size();
  int64_t past = 0;  // cache rows before this step
  int64_t step_tokens = longest;
  std::vector<std::vector<int64_t>> seen(prompts);
  for (auto& row : seen) row.reserve(row.size() + static_cast<size_t>(o.max_new_tokens));
  Rng rng(o.sampling.seed);

  for (int step = 0; running > 0; ++step) {
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t total = static_cast<int64_t>(mask[0].size());
    const int64_t s = mode == CacheMode::kNone ? total : step_tokens;
    m.feed_tokens(b, s, seq, mask, positions);
    const int64_t copied_before = m.kv_state != nullptr ? m.kv_state->bytes_copied.load() : 0;
    if (mode == CacheMode::kNone || step == 0) {
      if (in_place) {
        m.bind_shared(b, 0, total);
      } else {
        m.feed_empty_past(b);
      }
    } else if (mode == CacheMode::kShared) {
      m.bind_shared(b, past, total);
    } else {
      m.feed_back_present();
    }
    m.session.run(m.inputs, m.outputs);
    if (in_place && !m.outputs_in_cache()) {
      throw Error(ErrorCategory::kInternal, "the session did not append the KV cache in place");
    }
    // Next tokens from each row's last position.
    const Tensor& lg = m.logits();
    const int64_t width = lg.dim(2);
    if (lg.dim(0) != b || lg.dim(1) != s)
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("decoder logits have shape {}; expected [{}, {}, vocab]",
                              runtime::shape_to_string(lg.shape()), b, s));
    if (on_logits) on_logits(step, lg);
    const int64_t choose_width = vocab > 0 ? std::min(vocab, width) : width;
    for (int64_t r = 0; r < b; ++r) {
      const auto u = static_cast<size_t>(r);
      int64_t token = o.pad_id;
      if (!done[u]) {
        // The logits row is the session's output buffer: the penalty may change it in place.
        float* row = const_cast<float*>(lg.data<float>()) + (r * s + s - 1) * width;
        token = next_token(std::span<float>(row, static_cast<size_t>(choose_width)), seen[u],
                           o.sampling, rng, m.scratch);
        result.rows[u].tokens.push_back(token);
        seen[u].push_back(token);
        bool stop = std::find(o.eos_ids.begin(), o.eos_ids.end(), token) != o.eos_ids.end();
        if (on_token && !on_token(u, token)) stop = true;
        if (stop) {
          result.rows[u].finish_reason = "stop";
        } else if (static_cast<int64_t>(result.rows[u].tokens.size()) >= o.max_new_tokens ||
                   total + 1 >= max_total) {
          result.rows[u].finish_reason = "length";
          stop = true;
        }
        if (stop) {
          done[u] = true;
          --running;
        }
        if (step > 0) ++result.decode_tokens;
      }
      seq[u].push_back(token);
      mask[u].push_back(1);
    }
    const double ms = ms_since(t0);
    if (step == 0) {
      result.prefill_ms = ms;
    } else {
      result.decode_ms.push_back(ms);
      result.cache_bytes_copied.push_back(mode == CacheMode::kShared
                                              ? m.kv_state->bytes_copied.load() - copied_before
                                          : mode == CacheMode::kFeedBack ? m.feed_back_bytes()
                                                                         : 0);
    }
    past = total;
    step_tokens = 1;
  }
  result.cache = mode;
  return result;
}

}  // namespace bog::generate
