// Parity of both shipped bundles on the cuda provider (TF32 off): the exported graph run on
// [cuda, cpu] agrees with the reference provider to atol 1e-4. Needs a CUDA device: without one
// the tests are skipped and say why.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "common/build_paths.h"
#include "onnx_export/exporter.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/session.h"
#include "tests/cuda/cuda_test_util.h"

namespace bog::runtime::testing {
namespace {

namespace fs = std::filesystem;

class CudaBundleParity : public ::testing::TestWithParam<std::string> {};

Tensor tokens(int64_t batch, int64_t seq, bool mask, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> id(4, 200);
  Tensor t(DType::kInt64, {batch, seq});
  for (int64_t i = 0; i < t.numel(); ++i) {
    // Masks end each row with padding of a different length.
    t.data<int64_t>()[i] = mask ? ((i % seq) < seq - (i / seq) ? 1 : 0) : id(rng);
  }
  return t;
}

TEST_P(CudaBundleParity, LogitsMatchTheReferenceProvider) {
  BOG_REQUIRE_CUDA(cuda);
  ASSERT_FALSE(allow_tf32()) << "parity is checked with TF32 off";
  const fs::path dir = fs::temp_directory_path() /
                       ("bog_cuda_parity_" + std::to_string(::getpid()) + "_" + GetParam());
  fs::create_directories(dir);
  const fs::path onnx = dir / "model.onnx";
  (void)onnx_export::export_bundle(fs::path(bog::source_dir()) / "models" / GetParam(), onnx, {});
  SessionOptions on_cuda;
  on_cuda.providers = {"cuda", "cpu"};
  SessionOptions on_reference;
  on_reference.providers = {"reference"};
  Session c(load_model(onnx), on_cuda);
  Session r(load_model(onnx), on_reference);
  EXPECT_EQ(c.placement().used.front(), "cuda");
  // The shared passes fused the graph for cuda: its fused attention runs there.
  int fused_on_cuda = 0;
  for (const NodePlacement& n : c.placement().nodes) {
    fused_on_cuda += n.op_type == "Attention" && n.provider == "cuda";
  }
  EXPECT_GT(fused_on_cuda, 0);
  for (const auto& shape : std::vector<std::pair<int64_t, int64_t>>{{1, 128}, {3, 17}}) {
    // Plain locals: the lambda below captures them (clang 14 cannot capture a structured binding).
    const int64_t batch = shape.first;
    const int64_t seq = shape.second;
    SCOPED_TRACE(::testing::Message() << "batch=" << batch << " seq=" << seq);
    auto feeds = [&] {
      std::map<std::string, Value> f;
      f["input_ids"] = Value::from_tensor(tokens(batch, seq, false, 7));
      f["attention_mask"] = Value::from_tensor(tokens(batch, seq, true, 7));
      return f;
    };
    auto got = c.run(feeds());
    auto want = r.run(feeds());
    for (auto& [name, v] : want) {
      ASSERT_EQ(got.at(name).tensor.device(), Device::kCpu) << "outputs come back on the host";
      expect_close(got.at(name).tensor, v.tensor, 0.0f, 1e-4f);
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

INSTANTIATE_TEST_SUITE_P(ShippedBundles, CudaBundleParity,
                         ::testing::Values("agnews-tiny-llama", "agnews-modern"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& ch : s) ch = ch == '-' ? '_' : ch;
                           return s;
                         });

}  // namespace
}  // namespace bog::runtime::testing
