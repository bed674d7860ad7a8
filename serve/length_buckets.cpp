#include "serve/length_buckets.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace bog::serve {

std::vector<std::vector<size_t>> plan_length_runs(const std::vector<int64_t>& lengths,
                                                  int64_t run_overhead) {
  const size_t n = lengths.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return lengths[a] < lengths[b]; });
  // best[i]: the least cost of the i shortest texts; cut[i]: where their last run starts. A run
  // of sorted texts [j, i) pads to the length of text i - 1, the longest of them.
  std::vector<int64_t> best(n + 1, std::numeric_limits<int64_t>::max());
  std::vector<size_t> cut(n + 1, 0);
  best[0] = 0;
  for (size_t i = 1; i <= n; ++i) {
    const int64_t longest = std::max<int64_t>(1, lengths[order[i - 1]]);
    for (size_t j = 0; j < i; ++j) {
      const int64_t cost = best[j] + run_overhead + static_cast<int64_t>(i - j) * longest;
      if (cost < best[i]) {
        best[i] = cost;
        cut[i] = j;
      }
    }
  }
  std::vector<std::vector<size_t>> runs;
  for (size_t i = n; i > 0; i = cut[i]) {
    runs.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(cut[i]),
                      order.begin() + static_cast<std::ptrdiff_t>(i));
  }
  std::reverse(runs.begin(), runs.end());
  return runs;
}

}  // namespace bog::serve
