// The decode loop on the PyTorch-exported LLaMA-style decoder (tests/fixtures/torch/
// llama_decoder.onnx, GQA, RoPE from position_ids): PyTorch's own greedy continuations, the
// shared cache against --no-cache and against present fed back, batch rows against single
// runs, the bytes a step copies, and every bad input.
#include "generate/generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/build_paths.h"
#include "common/error.h"
#include "onnx_runtime/session.h"

namespace bog::generate {
namespace {

const std::string kDecoder =
    std::string(bog::source_dir()) + "/tests/fixtures/torch/llama_decoder.onnx";

struct TorchCase {
  std::vector<int64_t> prompt, tokens;
};

std::vector<TorchCase> torch_cases() {
  std::ifstream in(std::string(bog::source_dir()) +
                   "/tests/fixtures/torch/llama_decoder/greedy.json");
  const auto j = nlohmann::json::parse(in);
  std::vector<TorchCase> out;
  for (const auto& p : j.at("prompts"))
    out.push_back({p.at("prompt_ids").get<std::vector<int64_t>>(),
                   p.at("tokens").get<std::vector<int64_t>>()});
  return out;
}

runtime::Session session(const std::string& provider, bool shared = true, int threads = 1) {
  runtime::SessionOptions o;
  o.providers = {provider};
  o.threads = threads;
  if (shared) o.kv_cache = std::make_shared<runtime::KvCacheState>();
  return runtime::Session::from_file(kDecoder, o);
}

GenerationOptions greedy(int n, CacheMode cache) {
  GenerationOptions o;
  o.max_new_tokens = n;
  o.cache = cache;
  return o;
}

TEST(Generator, ReproducesPyTorchGreedyOnEveryProviderAndCacheMode) {
  const auto cases = torch_cases();
  ASSERT_FALSE(cases.empty());
  struct Mode {
    const char* provider;
    CacheMode cache;
    CacheMode ran;
  };
  // cpu shares the cache buffer; the reference provider cannot, so it feeds present back.
  for (const Mode m : {Mode{"cpu", CacheMode::kShared, CacheMode::kShared},
                       Mode{"cpu", CacheMode::kFeedBack, CacheMode::kFeedBack},
                       Mode{"cpu", CacheMode::kNone, CacheMode::kNone},
                       Mode{"reference", CacheMode::kShared, CacheMode::kFeedBack}}) {
    auto s = session(m.provider, m.cache != CacheMode::kFeedBack);
    Generator g(s);
    for (const auto& c : cases) {
      const auto r = g.generate({c.prompt}, greedy(static_cast<int>(c.tokens.size()), m.cache));
      EXPECT_EQ(r.cache, m.ran) << m.provider << " " << r.cache_note;
      EXPECT_EQ(r.rows[0].tokens, c.tokens) << m.provider << " " << cache_mode_name(m.cache);
      EXPECT_EQ(r.rows[0].finish_reason, "length");
    }
  }
}

TEST(Generator, SharedCacheCopiesOnlyTheNewTokenPerStep) {
  auto s = session("cpu");
  Generator g(s);
  const auto& spec = g.spec();
  const auto shared = g.generate({torch_cases()[0].prompt}, greedy(40, CacheMode::kShared));
  ASSERT_EQ(shared.cache, CacheMode::kShared) << shared.cache_note;
  ASSERT_EQ(shared.cache_bytes_copied.size(), 39u);
  const int64_t per_token = 2 * spec.layers * spec.kv_heads * spec.head_dim * 4;
  for (const int64_t bytes : shared.cache_bytes_copied) EXPECT_EQ(bytes, per_token);
  // Feeding present back moves the whole cache: it grows with the position.
  EXPECT_THROW(g.generate({torch_cases()[0].prompt}, greedy(4, CacheMode::kFeedBack)), Error);
  auto plain = session("cpu", false);
  Generator feed(plain);
  const auto fed = feed.generate({torch_cases()[0].prompt}, greedy(40, CacheMode::kFeedBack));
  EXPECT_GT(fed.cache_bytes_copied.back(), 10 * fed.cache_bytes_copied.front() / 2);
  EXPECT_GT(fed.cache_bytes_copied.back(), 30 * per_token);
}

TEST(Generator, BatchRowsEqualTheirOwnSingleRuns) {
  const auto cases = torch_cases();
  ASSERT_GE(cases.size(), 2u);
  for (const int threads : {1, 2}) {
    auto s = session("cpu", true, threads);
    Generator g(s);
    std::vector<std::vector<int64_t>> prompts;
    for (const auto& c : cases) prompts.push_back(c.prompt);
    const auto batch = g.generate(prompts, greedy(20, CacheMode::kShared));
    ASSERT_EQ(batch.rows.size(), prompts.size());
    for (size_t i = 0; i < prompts.size(); ++i) {
      const auto single = g.generate({prompts[i]}, greedy(20, CacheMode::kShared));
      EXPECT_EQ(batch.rows[i].tokens, single.rows[0].tokens) << "row " << i;
    }
  }
}

// The logits hook (what generation parity reads): once per step, before that step's token,
// with the step's whole logits output; greedy picks the first maximum of each row's last one.
TEST(Generator, LogitsCallbackSeesEveryStepBeforeItsTokens) {
  const auto cases = torch_cases();
  ASSERT_GE(cases.size(), 2u);
  const std::vector<std::vector<int64_t>> prompts = {cases[0].prompt, cases[1].prompt};
  const auto longest = static_cast<int64_t>(std::max(prompts[0].size(), prompts[1].size()));
  for (const char* provider : {"cpu", "reference"}) {
    SCOPED_TRACE(provider);
    auto s = session(provider);
    Generator g(s);
    std::vector<std::vector<int64_t>> expected(prompts.size());
    std::vector<std::vector<int64_t>> got(prompts.size());
    int calls = 0;
    const auto r = g.generate(
        prompts, greedy(6, CacheMode::kShared),
        [&](size_t row, int64_t token) {
          got[row].push_back(token);
          return true;
        },
        [&](int step, const runtime::Tensor& logits) {
          EXPECT_EQ(step, calls++);
          ASSERT_EQ(logits.dim(0), 2);
          EXPECT_EQ(logits.dim(1), step == 0 ? longest : 1);
          for (int64_t row = 0; row < 2; ++row) {
            EXPECT_EQ(got[static_cast<size_t>(row)].size(), static_cast<size_t>(step));
            const int64_t vocab = logits.dim(2);
            const float* last =
                logits.data<float>() + (row * logits.dim(1) + logits.dim(1) - 1) * vocab;
            expected[static_cast<size_t>(row)].push_back(std::max_element(last, last + vocab) -
                                                         last);
          }
        });
    EXPECT_EQ(calls, 6);
    for (size_t row = 0; row < prompts.size(); ++row) {
      EXPECT_EQ(r.rows[row].tokens, expected[row]) << "row " << row;
      EXPECT_EQ(got[row], expected[row]) << "row " << row;
    }
  }
}

TEST(Generator, SampledRunsRepeatWithTheSeed) {
  auto s = session("cpu");
  Generator g(s);
  GenerationOptions o = greedy(24, CacheMode::kShared);
  o.sampling.temperature = 0.9f;
  o.sampling.top_k = 40;
  o.sampling.top_p = 0.95f;
  o.sampling.seed = 11;
  const auto a = g.generate({torch_cases()[0].prompt}, o);
  const auto b = g.generate({torch_cases()[0].prompt}, o);
  EXPECT_EQ(a.rows[0].tokens, b.rows[0].tokens);
  o.sampling.seed = 12;
  const auto c = g.generate({torch_cases()[0].prompt}, o);
  EXPECT_NE(a.rows[0].tokens, c.rows[0].tokens);
  o.cache = CacheMode::kNone;  // the cache does not change what is drawn
  o.sampling.seed = 11;
  EXPECT_EQ(g.generate({torch_cases()[0].prompt}, o).rows[0].tokens, a.rows[0].tokens);
}

TEST(Generator, StopsAtEosTheCallbackAndTheContext) {
  auto s = session("cpu");
  Generator g(s);
  const auto c = torch_cases()[0];
  GenerationOptions o = greedy(24, CacheMode::kShared);
  o.eos_ids = {c.tokens[3]};
  auto r = g.generate({c.prompt}, o);
  EXPECT_EQ(r.rows[0].finish_reason, "stop");
  EXPECT_EQ(r.rows[0].tokens, std::vector<int64_t>(c.tokens.begin(), c.tokens.begin() + 4));
  o.eos_ids.clear();
  r = g.generate({c.prompt}, o, [](size_t, int64_t) { return false; });
  EXPECT_EQ(r.rows[0].tokens.size(), 1u);
  EXPECT_EQ(r.rows[0].finish_reason, "stop");
  o.context_length = static_cast<int64_t>(c.prompt.size()) + 5;
  r = g.generate({c.prompt}, o);
  EXPECT_EQ(r.rows[0].finish_reason, "length");
  EXPECT_EQ(r.rows[0].tokens.size(), 5u);
}

TEST(Generator, BadInputGetsOneClearError) {
  auto s = session("cpu");
  Generator g(s);
  const auto prompt = torch_cases()[0].prompt;
  auto expect_error = [&](const std::vector<std::vector<int64_t>>& p, GenerationOptions o,
                          const std::string& says) {
    try {
      g.generate(p, o);
      ADD_FAILURE() << "no error for " << says;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  GenerationOptions o = greedy(4, CacheMode::kShared);
  o.max_new_tokens = 0;
  expect_error({prompt}, o, "max new tokens");
  o = greedy(4, CacheMode::kShared);
  o.sampling.top_p = 1.5f;
  expect_error({prompt}, o, "top-p");
  o = greedy(4, CacheMode::kShared);
  expect_error({{1, 2, 512}}, o, "outside the vocabulary");
  expect_error({{1, -1}}, o, "outside the vocabulary");
  expect_error({{}}, o, "empty prompt");
  o.context_length = 4;
  expect_error({prompt}, o, "context");
}

TEST(Generator, AGraphWithoutTheNamingIsRefused) {
  runtime::SessionOptions o;
  o.providers = {"cpu"};
  auto s = runtime::Session::from_file(
      std::string(bog::source_dir()) + "/tests/fixtures/torch/llama_gqa.onnx", o);
  try {
    Generator g(s);
    ADD_FAILURE() << "a classifier was taken for a decoder";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no input past_key_values.0.key"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace bog::generate
