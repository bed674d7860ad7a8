// The cuda provider where it cannot run (no driver, no device, or not built): every request
// falls back with the reason recorded, strict mode makes that an error, nothing crashes.
// These run on every machine; on one with a usable device the fallback cases are skipped.
#include <gtest/gtest.h>

#include "common/error.h"
#include "onnx_runtime/providers/cuda/cuda_probe.h"
#include "onnx_runtime/session.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/runtime/model_builder.h"

namespace bog::runtime::testing {
namespace {

std::map<std::string, Value> feeds() {
  std::map<std::string, Value> f;
  f["x"] = Value::from_tensor(Tensor::from_vector<float>({2, 3}, {-1, 0, 1, 2, 3, -4}));
  return f;
}

// Skips when the provider can run here (then there is no fallback to observe).
#define BOG_REQUIRE_NO_CUDA(reason)                                          \
  const auto bog_cuda = make_provider("cuda");                               \
  if (bog_cuda->available()) GTEST_SKIP() << "a CUDA device is usable here"; \
  const std::string reason = bog_cuda->unavailable_reason()

TEST(CudaProvider, BuildInfoMatchesTheConfiguration) {
  const CudaBuildInfo info = cuda_build_info();
#ifdef BOG_HAVE_CUDA
  EXPECT_TRUE(info.built);
  EXPECT_FALSE(info.toolkit_version.empty());
  EXPECT_NE(info.architectures.find("80"), std::string::npos) << info.architectures;
  EXPECT_NE(info.architectures.find("90"), std::string::npos) << info.architectures;
#else
  EXPECT_FALSE(info.built);
  EXPECT_NE(make_provider("cuda")->unavailable_reason().find("not built"), std::string::npos);
#endif
}

TEST(CudaProvider, ProbeNeverCrashesAndExplainsAMissingDevice) {
  const CudaProbe& p = probe_cuda();
  const std::string why = p.unavailable_reason();
  if (!p.driver_found) {
    EXPECT_EQ(why.rfind("no CUDA driver", 0), 0u) << why;
  } else if (p.devices.empty()) {
    EXPECT_EQ(why, "no device");
  } else if (p.devices[0].cc_major < kCudaMinComputeMajor) {
    EXPECT_NE(why.find("< 8.0 required"), std::string::npos) << why;
  } else {
    EXPECT_TRUE(why.empty()) << why;
  }
  EXPECT_EQ(&probe_cuda(), &p) << "the driver is probed once per process";
}

TEST(CudaProvider, UnavailableProviderGivesItsReasonAndClaimsNothing) {
  BOG_REQUIRE_NO_CUDA(reason);
  EXPECT_FALSE(reason.empty());
  const bool known = reason.rfind("no CUDA driver", 0) == 0 || reason == "no device" ||
                     reason.find("compute capability") != std::string::npos ||
                     reason.rfind("not built", 0) == 0 || reason.rfind("cuda:", 0) == 0 ||
                     reason.rfind("module libbog_cuda.so", 0) == 0;
  EXPECT_TRUE(known) << reason;
  const Node node = make_node("Add", 2, 1, 17);
  const Claim c = bog_cuda->claims(node);
  EXPECT_FALSE(c);
  EXPECT_EQ(c.reason, reason);
  try {
    (void)bog_cuda->create_kernel(node);
    FAIL() << "an unavailable provider must not make kernels";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kProviderUnavailable);
  }
}

TEST(CudaProvider, RequestFallsBackToCpuWithTheReasonRecorded) {
  BOG_REQUIRE_NO_CUDA(reason);
  SessionOptions o;
  o.providers = {"cuda", "cpu", "reference"};
  Session s(load(add_relu_model()), o);
  const PlacementReport& r = s.placement();
  EXPECT_EQ(r.requested, (std::vector<std::string>{"cuda", "cpu", "reference"}));
  EXPECT_EQ(r.nodes_per_provider.count("cuda"), 0u);
  EXPECT_EQ(r.used, std::vector<std::string>{"cpu"});
  ASSERT_FALSE(r.nodes.empty());
  for (const NodePlacement& n : r.nodes) {
    ASSERT_FALSE(n.fallback_reasons.empty());
    EXPECT_EQ(n.fallback_reasons[0], "cuda: " + reason);
  }
  EXPECT_EQ(r.fallback_reasons(), std::vector<std::string>{"cuda: " + reason});
  // The fallback computes what the reference computes.
  SessionOptions ref;
  ref.providers = {"reference"};
  Session reference(load(add_relu_model()), ref);
  auto got = s.run(feeds());
  auto want = reference.run(feeds());
  ASSERT_EQ(got.size(), want.size());
  for (auto& [name, v] : want) expect_close(got.at(name).tensor, v.tensor, 0, 0);
  EXPECT_EQ(r.transfers.host_to_device, 0);
}

TEST(CudaProvider, StrictModeTurnsTheFallbackIntoAnError) {
  BOG_REQUIRE_NO_CUDA(reason);
  SessionOptions o;
  o.providers = {"cuda", "cpu"};
  o.strict = true;
  try {
    Session s(load(add_relu_model()), o);
    FAIL() << "strict placement must refuse to fall back";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kProviderUnavailable);
    EXPECT_NE(std::string(e.what()).find("cuda: " + reason), std::string::npos) << e.what();
  }
}

TEST(CudaProvider, CudaAloneWithoutADeviceIsAClearError) {
  BOG_REQUIRE_NO_CUDA(reason);
  SessionOptions o;
  o.providers = {"cuda"};
  try {
    Session s(load(add_relu_model()), o);
    FAIL() << "no provider can run the graph";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kUnsupported);
    EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
  }
}

TEST(CudaProvider, DeviceTensorsAreNeverCopiedOnTheHost) {
  // A tensor tagged as device memory: clone() would memcpy it on the host, so it refuses.
  const auto buffer = std::make_shared<std::vector<float>>(4);
  const std::shared_ptr<void> owner(buffer, buffer->data());
  const Tensor t = Tensor::adopt(DType::kFloat32, {2, 2}, Device::kCuda, owner);
  EXPECT_EQ(t.device(), Device::kCuda);
  EXPECT_EQ(t.view({4}).device(), Device::kCuda);
  try {
    (void)t.clone();
    FAIL() << "clone of a device tensor must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::kInternal);
  }
}

TEST(CudaProvider, Tf32IsOffUnlessAllowed) {
  EXPECT_FALSE(allow_tf32());
  set_allow_tf32(true);
  EXPECT_TRUE(allow_tf32());
  set_allow_tf32(false);
  EXPECT_FALSE(allow_tf32());
}

}  // namespace
}  // namespace bog::runtime::testing
