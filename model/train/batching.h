// Tokenised examples and length-bucketed batches.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/layers/tensor.h"

namespace bog::model {

struct TokenizedSet {
  std::vector<std::vector<int>> ids;  // each non-empty
  std::vector<int> labels;
};

struct Batch {
  std::vector<int> ids;  // [layout.batch, layout.seq_len], right-padded with pad_id
  std::vector<int> labels;
  std::vector<int> indices;  // positions in the source set
  SeqLayout layout;
  int64_t tokens = 0;  // real (non-pad) tokens
};

// Gathers `indices` of `set` into one padded batch.
[[nodiscard]] Batch make_batch(const TokenizedSet& set, std::span<const int> indices, int pad_id);

// One epoch's batch order: shuffle all indices with a generator seeded by (seed, epoch), cut
// into buckets of bucket_batches * batch_size, sort each bucket by length (ties by index), cut
// it into batches and shuffle the batch order. Depends only on its arguments, so a resumed run
// sees the same batches. Yields ceil(n / batch_size) batches.
[[nodiscard]] std::vector<std::vector<int>> epoch_batches(const TokenizedSet& set, int batch_size,
                                                          int bucket_batches, uint64_t seed,
                                                          int epoch);

// Batches in length order, for evaluation (the order does not change results).
[[nodiscard]] std::vector<std::vector<int>> eval_batches(const TokenizedSet& set, int batch_size);

}  // namespace bog::model
