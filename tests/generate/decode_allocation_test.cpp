// The shared KV cache's promise that a decode step allocates nothing once warm: heap
// allocations counted per decode step (tests/common/allocation_counter.h) on the PyTorch-exported
// LLaMA-style decoder and on a tiny LM exported by this project, cpu provider, shared cache,
// batch 1 and 2; and the tokens stay those of present fed back as past.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "common/build_paths.h"
#include "generate/generator.h"
#include "model/bundle.h"
#include "model/lm/tiny_llama_lm.h"
#include "model/train/checkpoint.h"
#include "onnx_export/exporter.h"
#include "onnx_runtime/session.h"
#include "tests/common/allocation_counter.h"

namespace bog::generate {
namespace {
namespace fs = std::filesystem;

// A two-layer tiny_llama_lm (GQA 4:2) with random weights, exported in the optimum naming.
fs::path export_tiny_lm(const fs::path& root) {
  fs::remove_all(root);
  fs::create_directories(root / "run" / "checkpoints");
  fs::copy_file(fs::path(bog::source_dir()) / "models/agnews-tiny-llama/tokenizer.model",
                root / "run" / "tokenizer.model");
  const model::ModelConfig c = model::parse_model_config(
      "architecture: tiny_llama_lm\nvocab_size: 16000\nd_model: 16\nn_layers: 2\nn_heads: 4\n"
      "n_kv_heads: 2\nd_ff: 24\nmax_len: 64\n",
      "test");
  model::TinyLlamaLm lm(c, 5);
  model::CheckpointState st;
  st.model_config = model::to_json(c);
  st.train_config = nlohmann::json::object();
  st.info = {{"tokenizer", "tokenizer.model"}};
  const fs::path ckpt = root / "run" / "checkpoints" / "best.safetensors";
  model::save_checkpoint(ckpt, lm.params(), nullptr, st);
  (void)model::write_bundle(ckpt, root / "bundle");
  const fs::path onnx = root / "lm.onnx";
  (void)onnx_export::export_bundle(root / "bundle", onnx, {});
  return onnx;
}

// Allocations of each decode step, from the first token chosen in one step to the first token
// chosen in the next (a whole step: feeds, run, sampling), after `warm` decode steps.
struct StepCounts {
  GenerationResult result;
  std::vector<long> per_step;
};

StepCounts count_decode_steps(Generator& g, const std::vector<std::vector<int64_t>>& prompts,
                              int new_tokens, int warm) {
  GenerationOptions o;
  o.max_new_tokens = new_tokens;
  o.cache = CacheMode::kShared;
  StepCounts out;
  out.per_step.reserve(static_cast<size_t>(new_tokens));
  std::optional<test::AllocationCounter> counter;
  int step = -1;  // 0: the token of prefill
  long before = 0;
  const auto on_token = [&](size_t row, int64_t) {
    if (row != 0) return true;
    ++step;
    if (step == warm) {
      counter.emplace();
    } else if (step > warm) {
      const long now = counter->count();
      out.per_step.push_back(now - before);
      before = now;
    }
    return true;
  };
  out.result = g.generate(prompts, o, on_token);
  counter.reset();
  return out;
}

// Removes its folder when the test ends, failed or not.
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("bog_decode_alloc_" + std::to_string(::getpid()));
  ~TempDir() { fs::remove_all(path); }
};

TEST(Generator, DecodeStepsAllocateNothingAfterWarmUp) {
  if (!test::kCountingAllocations)
    GTEST_SKIP() << "ASan build: malloc is the sanitizer's, not counted";
  const TempDir dir;
  const fs::path tiny_lm = export_tiny_lm(dir.path);
  const fs::path torch = fs::path(bog::source_dir()) / "tests/fixtures/torch/llama_decoder.onnx";
  const std::vector<std::vector<int64_t>> prompts = {{1, 17, 42, 99, 7, 3}, {5, 250, 8}};
  for (const fs::path& file : {torch, tiny_lm}) {
    for (const size_t batch : {1u, 2u}) {
      SCOPED_TRACE(::testing::Message() << file.filename() << " batch " << batch);
      runtime::SessionOptions so;
      so.providers = {"cpu"};
      so.kv_cache = std::make_shared<runtime::KvCacheState>();
      runtime::Session s = runtime::Session::from_file(file, so);
      Generator g(s);
      const std::vector<std::vector<int64_t>> rows(prompts.begin(),
                                                   prompts.begin() + static_cast<long>(batch));
      constexpr int kNew = 24, kWarm = 4;
      const StepCounts counted = count_decode_steps(g, rows, kNew, kWarm);
      ASSERT_EQ(counted.result.cache, CacheMode::kShared) << counted.result.cache_note;
      ASSERT_EQ(counted.per_step.size(), static_cast<size_t>(kNew - 1 - kWarm));
      for (size_t k = 0; k < counted.per_step.size(); ++k)
        EXPECT_EQ(counted.per_step[k], 0) << "decode step " << kWarm + 1 + k;
      // The bytes a step copies do not grow with the position either.
      for (const int64_t bytes : counted.result.cache_bytes_copied)
        EXPECT_EQ(bytes, counted.result.cache_bytes_copied.front());
      // The same tokens as present fed back as past, in a session without the shared cache
      // (no memory plan that stretches with the position).
      runtime::SessionOptions fed_options;
      fed_options.providers = {"cpu"};
      runtime::Session fed = runtime::Session::from_file(file, fed_options);
      Generator plain(fed);
      GenerationOptions o;
      o.max_new_tokens = kNew;
      o.cache = CacheMode::kFeedBack;
      const GenerationResult want = plain.generate(rows, o);
      for (size_t r = 0; r < batch; ++r)
        EXPECT_EQ(counted.result.rows[r].tokens, want.rows[r].tokens) << "row " << r;
    }
  }
}

}  // namespace
}  // namespace bog::generate
