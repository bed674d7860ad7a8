#include "model/train/batching.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace bog::model {
namespace {

// Fisher-Yates with our own index draw, so the order is the same with every standard library.
template <typename T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng() % i);
    std::swap(v[i - 1], v[j]);
  }
}

}  // namespace

Batch make_batch(const TokenizedSet& set, std::span<const int> indices, int pad_id) {
  Batch batch;
  batch.layout.batch = static_cast<int>(indices.size());
  int longest = 1;
  for (int i : indices) longest = std::max<int>(longest, static_cast<int>(set.ids[i].size()));
  batch.layout.seq_len = longest;
  batch.ids.assign(static_cast<size_t>(batch.layout.batch) * longest, pad_id);
  for (size_t b = 0; b < indices.size(); ++b) {
    const auto& seq = set.ids[indices[b]];
    std::copy(seq.begin(), seq.end(), batch.ids.begin() + static_cast<int64_t>(b) * longest);
    batch.layout.lengths.push_back(static_cast<int>(seq.size()));
    batch.labels.push_back(set.labels[indices[b]]);
    batch.indices.push_back(indices[b]);
    batch.tokens += static_cast<int64_t>(seq.size());
  }
  return batch;
}

std::vector<std::vector<int>> epoch_batches(const TokenizedSet& set, int batch_size,
                                            int bucket_batches, uint64_t seed, int epoch) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(epoch) + 1);
  std::vector<int> order(set.ids.size());
  std::iota(order.begin(), order.end(), 0);
  shuffle(order, rng);
  const size_t bucket = static_cast<size_t>(batch_size) * bucket_batches;
  std::vector<std::vector<int>> batches;
  for (size_t start = 0; start < order.size(); start += bucket) {
    const size_t end = std::min(order.size(), start + bucket);
    std::sort(order.begin() + start, order.begin() + end, [&](int a, int b) {
      if (set.ids[a].size() != set.ids[b].size()) return set.ids[a].size() < set.ids[b].size();
      return a < b;
    });
    for (size_t s = start; s < end; s += batch_size) {
      batches.emplace_back(order.begin() + s, order.begin() + std::min(end, s + batch_size));
    }
  }
  shuffle(batches, rng);
  return batches;
}

std::vector<std::vector<int>> eval_batches(const TokenizedSet& set, int batch_size) {
  std::vector<int> order(set.ids.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return set.ids[a].size() < set.ids[b].size(); });
  std::vector<std::vector<int>> batches;
  for (size_t s = 0; s < order.size(); s += batch_size) {
    batches.emplace_back(
        order.begin() + s,
        order.begin() + std::min(order.size(), s + static_cast<size_t>(batch_size)));
  }
  return batches;
}

}  // namespace bog::model
