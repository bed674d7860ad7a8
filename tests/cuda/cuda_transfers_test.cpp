// Host<->device copies reach the placement report: Session::placement() sums what every
// provider counted (ExecutionProvider::transfers()). A stand-in provider reports fixed counts,
// so this runs without a device.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "onnx_runtime/providers/reference/reference_provider.h"
#include "onnx_runtime/session.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/runtime/model_builder.h"

namespace bog::runtime::testing {
namespace {

// The reference kernels under another name, claiming to have made some copies.
class CountingProvider : public ReferenceProvider {
 public:
  std::string name() const override { return "counting"; }
  TransferCounts transfers() const override { return {3, 2, 300, 200}; }
};

TEST(CudaTransfers, PlacementReportCarriesTheProvidersCopyCounts) {
  Session s(load(add_relu_model()), {std::make_shared<CountingProvider>(), make_provider("cpu")},
            false);
  const TransferCounts& t = s.placement().transfers;
  EXPECT_EQ(t.host_to_device, 3);
  EXPECT_EQ(t.device_to_host, 2);
  EXPECT_EQ(t.bytes_host_to_device, 300);
  EXPECT_EQ(t.bytes_device_to_host, 200);
  const auto json = s.placement().to_json();
  EXPECT_EQ(json.at("transfers").at("host_to_device").get<int64_t>(), 3);
}

TEST(CudaTransfers, HostOnlySessionsReportNoCopies) {
  SessionOptions o;
  o.providers = {"cpu", "reference"};
  Session s(load(add_relu_model()), o);
  EXPECT_EQ(s.placement().transfers.host_to_device, 0);
  EXPECT_EQ(s.placement().transfers.device_to_host, 0);
}

}  // namespace
}  // namespace bog::runtime::testing
