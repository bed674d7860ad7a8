// Continuous batching on the PyTorch-exported LLaMA-style decoder (tests/fixtures/torch/
// llama_decoder.onnx): every sequence's tokens under batching — joining at different steps,
// prefilled in chunks, shifted when the common past fills the cache, beside rows that leave or
// are cancelled — equal the tokens of that sequence run alone by Generator.
#include "generate/batch_scheduler.h"

#include <gtest/gtest.h>

#include <map>

#include "common/build_paths.h"
#include "common/error.h"
#include "onnx_runtime/session.h"

namespace bog::generate {
namespace {

runtime::Session session() {
  runtime::SessionOptions o;
  o.providers = {"cpu"};
  o.kv_cache = std::make_shared<runtime::KvCacheState>();
  return runtime::Session::from_file(
      std::string(bog::source_dir()) + "/tests/fixtures/torch/llama_decoder.onnx", o);
}

// Prompts of 1 to 19 tokens from the fixture's vocabulary (512).
std::vector<std::vector<int64_t>> prompts(int n) {
  std::vector<std::vector<int64_t>> out;
  for (int i = 0; i < n; ++i) {
    std::vector<int64_t> p{1};
    for (int j = 0; j < (i * 7) % 19; ++j) p.push_back((37 * i + 11 * j + 5) % 500 + 3);
    out.push_back(p);
  }
  return out;
}

struct Alone {
  std::vector<int64_t> tokens;
  std::string finish;
};

Alone run_alone(runtime::Session& s, const std::vector<int64_t>& prompt, int max_new,
                int64_t context, SamplingOptions sampling = {}) {
  Generator g(s);
  GenerationOptions o;
  o.max_new_tokens = max_new;
  o.context_length = context;
  o.sampling = sampling;
  const auto r = g.generate({prompt}, o);
  return {r.rows[0].tokens, r.rows[0].finish_reason};
}

struct Outcome {
  std::vector<int64_t> streamed;
  RowResult done;
  int done_calls = 0;
};

SequenceRequest request(const std::vector<int64_t>& prompt, int max_new, Outcome& out,
                        SamplingOptions sampling = {}) {
  SequenceRequest r;
  r.prompt = prompt;
  r.max_new_tokens = max_new;
  r.sampling = sampling;
  r.on_token = [&out](int64_t t) {
    out.streamed.push_back(t);
    return true;
  };
  r.on_done = [&out](const RowResult& res) {
    out.done = res;
    ++out.done_calls;
  };
  return r;
}

// Sequences submitted every `every` steps, so they join a batch already running.
void run_staggered(BatchScheduler& b, const std::vector<SequenceRequest>& reqs, int every) {
  size_t next = 0;
  for (int step = 0; step < 100000; ++step) {
    if (next < reqs.size() && step % every == 0) b.submit(reqs[next++]);
    if (!b.step() && next == reqs.size()) return;
  }
  FAIL() << "the scheduler never went idle";
}

TEST(BatchScheduler, EverySequenceGetsTheTokensItGetsAlone) {
  auto s = session();
  const auto ps = prompts(12);
  std::vector<Alone> alone;
  for (const auto& p : ps) alone.push_back(run_alone(s, p, 20, 256));

  auto batched = session();
  BatchScheduler b(batched, {.max_active = 6, .prefill_chunk = 4, .capacity = 256});
  std::vector<Outcome> out(ps.size());
  std::vector<SequenceRequest> reqs;
  for (size_t i = 0; i < ps.size(); ++i)
    reqs.push_back(request(ps[i], 12 + static_cast<int>(i % 3) * 4, out[i]));
  run_staggered(b, reqs, 3);
  for (size_t i = 0; i < ps.size(); ++i) {
    const auto n = static_cast<size_t>(reqs[i].max_new_tokens);
    const std::vector<int64_t> want(alone[i].tokens.begin(), alone[i].tokens.begin() + n);
    EXPECT_EQ(out[i].done.tokens, want) << "sequence " << i;
    EXPECT_EQ(out[i].streamed, want) << "sequence " << i;
    EXPECT_EQ(out[i].done.finish_reason, "length");
    EXPECT_EQ(out[i].done_calls, 1);
  }
  const SchedulerStats& st = b.stats();
  EXPECT_GT(st.decode_rows, 3 * st.decode_steps) << "rows decoded together";
  EXPECT_GT(st.prefill_runs, static_cast<int64_t>(ps.size())) << "long prompts are chunked";
  EXPECT_EQ(b.active(), 0u);
  EXPECT_EQ(b.waiting(), 0u);
}

TEST(BatchScheduler, PaddingEveryRowSharesIsShiftedOutAtTheCapacity) {
  constexpr int64_t kContext = 40;
  auto s = session();
  const auto ps = prompts(8);
  auto batched = session();
  BatchScheduler b(batched, {.max_active = 4, .prefill_chunk = 8, .capacity = kContext});
  std::vector<Outcome> out(ps.size());
  std::vector<SequenceRequest> reqs;
  for (const auto& p : ps) reqs.push_back(request(p, 30, out[reqs.size()]));
  run_staggered(b, reqs, 5);
  for (size_t i = 0; i < ps.size(); ++i) {
    const Alone a = run_alone(s, ps[i], 30, kContext);
    EXPECT_EQ(out[i].done.tokens, a.tokens) << "sequence " << i;
    EXPECT_EQ(out[i].done.finish_reason, a.finish) << "sequence " << i;
  }
  EXPECT_GT(b.stats().cache_shifts, 0);
}

TEST(BatchScheduler, SeededSamplingDrawsAsAlone) {
  auto s = session();
  const auto ps = prompts(5);
  SamplingOptions sampling{0.9f, 40, 0.95f, 1.1f, 0};
  auto batched = session();
  BatchScheduler b(batched, {.max_active = 5, .prefill_chunk = 32, .capacity = 256});
  std::vector<Outcome> out(ps.size());
  std::vector<SequenceRequest> reqs;
  for (size_t i = 0; i < ps.size(); ++i) {
    sampling.seed = 100 + i;
    reqs.push_back(request(ps[i], 16, out[i], sampling));
  }
  run_staggered(b, reqs, 1);
  for (size_t i = 0; i < ps.size(); ++i) {
    sampling.seed = 100 + i;
    EXPECT_EQ(out[i].done.tokens, run_alone(s, ps[i], 16, 256, sampling).tokens) << i;
  }
}

TEST(BatchScheduler, ACancelledSequenceFreesItsRowAtTheNextStep) {
  auto s = session();
  const auto ps = prompts(3);
  BatchScheduler b(s, {.max_active = 3, .prefill_chunk = 32, .capacity = 256});
  std::vector<Outcome> out(3);
  bool cancel = false;
  std::vector<SequenceRequest> reqs;
  for (size_t i = 0; i < 3; ++i) reqs.push_back(request(ps[i], 24, out[i]));
  reqs[1].cancelled = [&cancel] { return cancel; };
  for (auto& r : reqs) b.submit(r);
  while (b.active() < 3) ASSERT_TRUE(b.step());
  b.step();
  EXPECT_EQ(b.active(), 3u);
  cancel = true;
  const size_t made = out[1].streamed.size();
  b.step();
  EXPECT_EQ(b.active(), 2u) << "the cancelled row left at the step";
  EXPECT_EQ(out[1].done.finish_reason, "cancelled");
  EXPECT_EQ(out[1].streamed.size(), made) << "no token after the cancel";
  while (b.step()) {
  }
  auto alone = session();
  for (const size_t i : {size_t{0}, size_t{2}})
    EXPECT_EQ(out[i].done.tokens, run_alone(alone, ps[i], 24, 256).tokens) << i;
}

TEST(BatchScheduler, OneActiveRowRunsSequencesOneAtATime) {
  auto s = session();
  const auto ps = prompts(3);
  BatchScheduler b(s, {.max_active = 1, .prefill_chunk = 32, .capacity = 256});
  std::vector<Outcome> out(3);
  for (size_t i = 0; i < 3; ++i) b.submit(request(ps[i], 8, out[i]));
  EXPECT_EQ(b.waiting(), 3u);
  while (b.step()) EXPECT_LE(b.active(), 1u);
  EXPECT_EQ(b.stats().decode_rows, b.stats().decode_steps);
  for (const auto& o : out) EXPECT_EQ(o.done.tokens.size(), 8u);
}

TEST(BatchScheduler, StopsAtEosAndWhenTheCallbackSaysSo) {
  auto s = session();
  const auto ps = prompts(2);
  const Alone a = run_alone(s, ps[0], 12, 256);
  BatchScheduler b(s, {.max_active = 2, .prefill_chunk = 32, .capacity = 256});
  std::vector<Outcome> out(2);
  SequenceRequest eos = request(ps[0], 12, out[0]);
  eos.eos_ids = {a.tokens[3]};
  SequenceRequest cb = request(ps[1], 12, out[1]);
  cb.on_token = [&out](int64_t t) {
    out[1].streamed.push_back(t);
    return out[1].streamed.size() < 2;
  };
  b.submit(eos);
  b.submit(cb);
  while (b.step()) {
  }
  EXPECT_EQ(out[0].done.finish_reason, "stop");
  EXPECT_EQ(out[0].done.tokens, std::vector<int64_t>(a.tokens.begin(), a.tokens.begin() + 4));
  EXPECT_EQ(out[1].done.finish_reason, "stop");
  EXPECT_EQ(out[1].done.tokens.size(), 2u);
}

TEST(BatchScheduler, BadInputGetsOneClearError) {
  auto s = session();
  BatchScheduler b(s, {.max_active = 2, .prefill_chunk = 32, .capacity = 8});
  Outcome o;
  const std::map<std::string, SequenceRequest> cases = {
      {"empty prompt", request({}, 4, o)},
      {"max new tokens", request({1, 2}, 0, o)},
      {"outside the vocabulary", request({1, 512}, 4, o)},
      {"context holds 8", request({1, 2, 3, 4, 5, 6, 7, 8}, 4, o)},
      {"top-p", request({1, 2}, 4, o, {0.5f, 0, 1.5f, 1.0f, 0})},
  };
  for (const auto& [says, req] : cases) {
    try {
      b.submit(req);
      ADD_FAILURE() << "no error for " << says;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(b.waiting(), 0u);
  EXPECT_THROW(BatchScheduler(s, {.max_active = 0, .capacity = 8}), Error);
  runtime::SessionOptions plain;
  plain.providers = {"cpu"};
  auto no_share = runtime::Session::from_file(
      std::string(bog::source_dir()) + "/tests/fixtures/torch/llama_decoder.onnx", plain);
  EXPECT_THROW(BatchScheduler(no_share, {.capacity = 8}), Error);
}

}  // namespace
}  // namespace bog::generate
