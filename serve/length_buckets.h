// Length-aware runs for a dynamic batch. A session run pads every text to the longest one in
// it, so a batch mixing a 20-token headline with a 120-token article pays for 120 positions of
// both. The batcher's batch is therefore cut into runs of similar length: sorted by length, cut
// where the padding a cut saves is worth more than a run's fixed cost. Measured on AG News
// articles (title + description, 20-130 tokens), one padded batch of 32 cost more than 32 runs
// of one text each; cut this way it costs less.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bog::serve {

// Splits texts of the given token lengths into runs (each a list of indices into `lengths`,
// ascending by length) minimising sum over runs of (run_overhead + size * longest): the cost of
// a run in token positions, with a run's fixed cost counted as `run_overhead` positions.
// Every index appears in exactly one run; empty input gives no runs.
[[nodiscard]] std::vector<std::vector<std::size_t>> plan_length_runs(
    const std::vector<int64_t>& lengths, int64_t run_overhead);

}  // namespace bog::serve
