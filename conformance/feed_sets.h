// The feed sets `bog run` runs: one per ONNX test data folder (with its expected outputs), or
// one of random values; and the outputs it saves in the same folder layout.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "onnx_runtime/graph.h"
#include "onnx_runtime/value.h"

namespace bog::conformance {

// One set of feeds to run, with expected outputs when they come from a data folder.
struct FeedSet {
  std::string name;  // the test_data_set folder's name, or "random_seed_N"
  std::map<std::string, runtime::Value> feeds;
  std::vector<std::pair<std::string, runtime::Value>> expected;  // graph output order
  std::map<std::string, int64_t> dims_used;                      // random: each symbolic dim
};

// One set per test_data_set folder of `data` (find_data_sets), read with load_data_set.
[[nodiscard]] std::vector<FeedSet> data_feed_sets(const std::filesystem::path& data,
                                                  const std::vector<runtime::ValueInfo>& inputs,
                                                  const std::vector<runtime::ValueInfo>& outputs);

// make_random_feeds with the dims given as "NAME=VALUE" texts (a later one wins).
[[nodiscard]] FeedSet random_feed_set(const std::vector<runtime::ValueInfo>& inputs,
                                      const std::vector<std::string>& dims, uint64_t seed);

// Writes `value` as <root>/<set>/output_<k>.pb under the graph output's name, creating the
// folder. Error(kIo) when it cannot.
void save_output(const std::filesystem::path& root, const std::string& set, size_t k,
                 const runtime::Value& value, const std::string& name);

}  // namespace bog::conformance
