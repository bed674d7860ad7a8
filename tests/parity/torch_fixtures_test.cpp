// Every committed torch fixture (tests/fixtures/torch/NAME.onnx with its NAME/ test data sets,
// found by listing the folder: a new fixture is covered without a new test) on every provider
// this build has: reference and cpu always, cuda where a device is present (skipped, saying
// why, where not). Outputs are PyTorch's own (output_K.pb), decoders' present tensors included
// (llama_decoder feeds its committed past/present inputs). Tolerance: atol 1e-4, rtol 1e-3,
// argmax agreement 1 (measured: <= 4.4e-7 abs on reference and cpu for every fixture).
//
// Which forms the cpu provider fuses into Attention nodes (asserted per fixture below, so a
// regression in fusion fails): nn.TransformerEncoder and nn.MultiheadAttention with
// need_weights=False, batch_first or sequence-first, pre- or post-LN, ReLU or GELU, with or
// without a key padding mask or causal attn_mask (the 3-D [batch*heads, T, D] form): one per
// layer. need_weights=True is not fused (the softmax's weights are an output too).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "common/build_paths.h"
#include "onnx_runtime/execution_provider.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/session.h"
#include "parity/graph_parity.h"

namespace bog::parity {
namespace {
namespace fs = std::filesystem;

const fs::path kTorch = fs::path(bog::source_dir()) / "tests" / "fixtures" / "torch";

std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kTorch)) {
    if (e.path().extension() != ".onnx") continue;
    const std::string name = e.path().stem().string();
    if (fs::is_directory(kTorch / name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

void expect_fixture_passes(const std::string& name, const std::string& provider) {
  for (const bool optimize : {true, false}) {
    GraphParityRequest r;
    r.onnx = kTorch / (name + ".onnx");
    r.inputs = kTorch / name;
    r.providers = {provider};
    r.optimize = optimize;
    r.tolerance.atol = 1e-4;
    r.tolerance.rtol = 1e-3;
    r.tolerance.min_argmax_agreement = 1.0;
    const ParityReport rep = run_graph_parity(r);
    EXPECT_TRUE(rep.passed) << name << " on " << provider << " optimize=" << optimize << "\n"
                            << rep.to_json().dump(2);
    ASSERT_EQ(rep.results.size(), 1u);
    EXPECT_TRUE(rep.results[0].error.empty()) << name << ": " << rep.results[0].error;
    EXPECT_EQ(rep.results[0].provider_used, provider) << name;
  }
}

TEST(TorchFixtures, TheFolderHoldsTheKnownFixtures) {
  const auto names = fixture_names();
  EXPECT_GE(names.size(), 12u);
  for (const char* n : {"llama_decoder", "torch_encoder_issue23", "torch_mha_need_weights"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

TEST(TorchFixtures, EveryFixtureMatchesPyTorchOnReference) {
  for (const std::string& name : fixture_names()) expect_fixture_passes(name, "reference");
}

TEST(TorchFixtures, EveryFixtureMatchesPyTorchOnCpu) {
  for (const std::string& name : fixture_names()) expect_fixture_passes(name, "cpu");
}

TEST(TorchFixtures, EveryFixtureMatchesPyTorchOnCuda) {
  const auto cuda = runtime::make_provider("cuda", 1, runtime::Precision::kFp32);
  if (!cuda->available()) GTEST_SKIP() << "cuda: " << cuda->unavailable_reason();
  for (const std::string& name : fixture_names()) expect_fixture_passes(name, "cuda");
}

// Attention nodes the cpu provider makes of each torch fixture (one per attention layer where
// the form fuses). A fixture missing here fails, so its fusion is stated when it is added.
TEST(TorchFixtures, CpuFusesTheAttentionFormsItShould) {
  const std::map<std::string, size_t> want = {
      {"bert_post_ln_erf", 2},
      {"bert_pre_ln_tanh", 1},
      {"gpt2_block", 0},  // torch.where causal mask between the scores and the softmax
      {"llama_decoder", 2},
      {"llama_gqa", 2},
      {"torch_encoder_bf_postln_relu_mask", 2},
      {"torch_encoder_bf_preln_gelu_mask", 2},
      {"torch_encoder_issue23", 2},
      {"torch_encoder_sf_postln_gelu", 2},
      {"torch_encoder_sf_preln_relu_mask", 1},
      {"torch_mha_causal_mask", 1},
      {"torch_mha_need_weights", 0},  // the softmax output is also the weights output
  };
  for (const std::string& name : fixture_names()) {
    ASSERT_TRUE(want.count(name)) << name << ": say how many Attention nodes cpu makes of it";
    runtime::SessionOptions o;
    o.providers = {"cpu"};
    runtime::Session s(runtime::load_model(kTorch / (name + ".onnx")), o);
    size_t attention = 0;
    for (const auto& n : s.placement().nodes) attention += n.op_type == "Attention" ? 1 : 0;
    EXPECT_EQ(attention, want.at(name)) << name;
  }
}

}  // namespace
}  // namespace bog::parity
