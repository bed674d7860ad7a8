// `bog runs compare`'s library half (tune/run_compare.h).
#include "tune/run_compare.h"

#include <gtest/gtest.h>

namespace bog::tune {
namespace {

using nlohmann::json;

TEST(RunCompare, FinalMetricsAreTheLastValueOfEachKey) {
  const json run = json::parse(R"({"metrics":[{"key":"loss","value":2.0},
      {"key":"valid.accuracy","value":0.5},{"key":"loss","value":1.0}]})");
  const auto m = final_metrics(run);
  EXPECT_EQ(m.at("loss"), 1.0);
  EXPECT_EQ(m.at("valid.accuracy"), 0.5);
  EXPECT_TRUE(final_metrics(json::object()).empty());
}

TEST(RunCompare, KeepsOnlyDifferingParamsAndEveryMetric) {
  const std::vector<json> runs = {
      json::parse(R"({"run_id":"a","params":{"lr":0.1,"seed":1},
                      "metrics":[{"key":"loss","value":1.0}]})"),
      json::parse(R"({"run_id":"b","params":{"lr":0.2,"seed":1,"extra":true},
                      "metrics":[{"key":"acc","value":0.9}]})")};
  const RunComparison c = compare_runs(runs);
  EXPECT_EQ(c.run_ids, json::array({"a", "b"}));
  EXPECT_EQ(c.differing_params, json::parse(R"({"extra":[null,true],"lr":[0.1,0.2]})"));
  EXPECT_EQ(c.final_metrics, json::parse(R"({"acc":[null,0.9],"loss":[1.0,null]})"));
}

}  // namespace
}  // namespace bog::tune
