#include "conformance/feed_sets.h"

#include <fmt/format.h>

#include <system_error>

#include "common/error.h"
#include "conformance/random_inputs.h"
#include "conformance/test_data.h"
#include "onnx_runtime/proto_io.h"

namespace bog::conformance {

namespace fs = std::filesystem;

std::vector<FeedSet> data_feed_sets(const fs::path& data,
                                    const std::vector<runtime::ValueInfo>& inputs,
                                    const std::vector<runtime::ValueInfo>& outputs) {
  std::vector<FeedSet> sets;
  for (const fs::path& dir : find_data_sets(data)) {
    TestDataSet set = load_data_set(dir, inputs, outputs);
    sets.push_back({dir.filename().string(), std::move(set.feeds), std::move(set.expected), {}});
  }
  return sets;
}

FeedSet random_feed_set(const std::vector<runtime::ValueInfo>& inputs,
                        const std::vector<std::string>& dim_texts, uint64_t seed) {
  std::map<std::string, int64_t> dims;
  for (const std::string& text : dim_texts) {
    const auto [name, value] = parse_dim_binding(text);
    dims[name] = value;
  }
  RandomFeeds random = make_random_feeds(inputs, dims, seed);
  return {fmt::format("random_seed_{}", seed),
          std::move(random.feeds),
          {},
          std::move(random.dims_used)};
}

void save_output(const fs::path& root, const std::string& set, size_t k,
                 const runtime::Value& value, const std::string& name) {
  std::error_code ec;
  const fs::path dir = root / set;
  fs::create_directories(dir, ec);
  if (ec) {
    throw Error(ErrorCategory::kIo,
                fmt::format("cannot create '{}': {}", dir.string(), ec.message()));
  }
  runtime::write_value_file(dir / fmt::format("output_{}.pb", k), value, name);
}

}  // namespace bog::conformance
