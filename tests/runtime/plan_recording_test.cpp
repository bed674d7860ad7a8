// When the session records a memory plan: the first run of each input signature, until
// signatures stop repeating (a decoder's past grows by one token per step). After a few plans
// that no run used, a new signature is recorded only when it repeats the previous run's; a run
// that finds its plan brings recording back. planned_peak_bytes is the arena of the latest plan,
// so it tells which runs were recorded.
#include <gtest/gtest.h>

#include "onnx_runtime/session.h"
#include "tests/runtime/model_builder.h"

namespace bog::runtime {
namespace {

TEST(Session, StopsRecordingPlansWhenInputShapesChangeEveryRun) {
  Session s(testing::load(testing::add_relu_model()), SessionOptions{});
  auto run = [&s](int64_t rows) {
    std::map<std::string, Value> feeds;
    feeds["x"] = Value::from_tensor(Tensor(DType::kFloat32, {rows, 3}));
    (void)s.run(std::move(feeds));
    return s.optimization_report().planned_peak_bytes;
  };
  int64_t peak = 0;
  for (int64_t k = 1; k <= 3; ++k) {  // new signatures are recorded: the arena grows
    const int64_t now = run(64 * k);
    EXPECT_GT(now, peak) << "rows " << 64 * k;
    peak = now;
  }
  peak = run(64 * 4);
  for (int64_t k = 5; k <= 12; ++k) EXPECT_EQ(run(64 * k), peak) << "rows " << 64 * k;
  EXPECT_EQ(run(2048), peak);  // first sight of a signature: not recorded
  const int64_t repeated = run(2048);
  EXPECT_GT(repeated, peak);       // seen twice in a row: recorded
  EXPECT_EQ(run(2048), repeated);  // and planned
  EXPECT_GT(run(4096), repeated);  // a plan was used: new signatures are recorded again
}

}  // namespace
}  // namespace bog::runtime
