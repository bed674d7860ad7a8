// fastText-style training: each example updates the output layer and only the embedding rows
// of its own features, so an epoch over 50k news items takes well under a second.
#include "model/baseline/fasttext_classifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "common/error.h"

namespace bog::model {
namespace {

uint64_t fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull) {
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

// Finaliser from splitmix64: spreads FNV's low bits before the bucket modulo.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t below(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t x;
  do {
    x = rng();
  } while (x >= limit);
  return x % bound;
}

}  // namespace

std::vector<std::string> baseline_words(std::string_view text) {
  const std::string clean = clean_news_text(text);
  std::vector<std::string> words;
  std::string word;
  for (const char ch : clean) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c >= 0x80) {
      word += static_cast<char>(std::tolower(c));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

std::vector<uint32_t> FastTextClassifier::features(std::string_view text) const {
  const std::vector<std::string> words = baseline_words(text);
  const uint64_t mask = (uint64_t{1} << config_.buckets_log2) - 1;
  std::vector<uint64_t> word_hashes;
  word_hashes.reserve(words.size());
  std::vector<uint32_t> feats;
  feats.reserve(2 * words.size());
  for (const auto& w : words) {
    word_hashes.push_back(fnv1a(w));
    feats.push_back(static_cast<uint32_t>(mix(word_hashes.back()) & mask));
  }
  if (config_.bigrams) {
    for (size_t i = 1; i < word_hashes.size(); ++i) {
      const uint64_t h = mix(word_hashes[i - 1] * 116049371ull + word_hashes[i] + 0x9e3779b9ull);
      feats.push_back(static_cast<uint32_t>(h & mask));
    }
  }
  return feats;
}

void FastTextClassifier::forward(const std::vector<uint32_t>& feats, std::vector<float>& hidden,
                                 std::vector<float>& probs) const {
  const int dim = config_.dim;
  std::fill(hidden.begin(), hidden.end(), 0.0f);
  for (const uint32_t f : feats) {
    const float* row = &embeddings_[static_cast<size_t>(f) * dim];
    for (int d = 0; d < dim; ++d) hidden[d] += row[d];
  }
  if (!feats.empty()) {
    const float inv = 1.0f / static_cast<float>(feats.size());
    for (float& h : hidden) h *= inv;
  }
  float max_logit = -INFINITY;
  for (int k = 0; k < num_classes_; ++k) {
    float z = bias_[k];
    for (int d = 0; d < dim; ++d) z += output_[static_cast<size_t>(k) * dim + d] * hidden[d];
    probs[k] = z;
    max_logit = std::max(max_logit, z);
  }
  // Subtract the max before exp so large logits cannot overflow.
  float sum = 0.0f;
  for (float& p : probs) sum += (p = std::exp(p - max_logit));
  for (float& p : probs) p /= sum;
}

FastTextClassifier FastTextClassifier::train(const std::vector<Example>& examples, int num_classes,
                                             const BaselineConfig& config) {
  if (examples.empty()) {
    throw Error(ErrorCategory::kInvalidArgument, "baseline: no training examples");
  }
  if (num_classes < 2 || config.buckets_log2 < 4 || config.buckets_log2 > 26 || config.dim < 1 ||
      config.epochs < 1 || !(config.learning_rate > 0.0f)) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("baseline: bad config (classes {}, buckets 2^{}, dim {}, epochs {}, "
                            "lr {})",
                            num_classes, config.buckets_log2, config.dim, config.epochs,
                            config.learning_rate));
  }
  FastTextClassifier m;
  m.config_ = config;
  m.num_classes_ = num_classes;
  const int dim = config.dim;
  const size_t buckets = size_t{1} << config.buckets_log2;
  m.embeddings_.resize(buckets * dim);
  m.output_.assign(static_cast<size_t>(num_classes) * dim, 0.0f);
  m.bias_.assign(num_classes, 0.0f);
  std::mt19937_64 rng(config.seed);
  // fastText's initialisation: input rows uniform in [-1/dim, 1/dim], output zero.
  for (float& w : m.embeddings_) {
    w = (static_cast<float>(rng() >> 40) / static_cast<float>(1 << 24) * 2.0f - 1.0f) / dim;
  }

  std::vector<std::vector<uint32_t>> feats(examples.size());
  for (size_t i = 0; i < examples.size(); ++i) {
    if (examples[i].label < 0 || examples[i].label >= num_classes) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("baseline: example {} has label {}, expected 0..{}", i,
                              examples[i].label, num_classes - 1));
    }
    feats[i] = m.features(examples[i].text());
  }
  std::vector<size_t> order(examples.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<float> hidden(dim), probs(num_classes), grad_hidden(dim);
  const double total_steps = static_cast<double>(config.epochs) * examples.size();
  double step = 0;
  for (int epoch = 0; epoch < config.epochs; ++epoch) {
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[below(rng, i)]);
    for (const size_t idx : order) {
      const float lr = config.learning_rate * static_cast<float>(1.0 - step / total_steps);
      ++step;
      const auto& f = feats[idx];
      if (f.empty()) continue;
      m.forward(f, hidden, probs);
      std::fill(grad_hidden.begin(), grad_hidden.end(), 0.0f);
      // Softmax cross-entropy: dL/dz = p - onehot(label).
      for (int k = 0; k < num_classes; ++k) {
        const float g = probs[k] - (k == examples[idx].label ? 1.0f : 0.0f);
        float* w = &m.output_[static_cast<size_t>(k) * dim];
        for (int d = 0; d < dim; ++d) {
          grad_hidden[d] += g * w[d];
          w[d] -= lr * g * hidden[d];
        }
        m.bias_[k] -= lr * g;
      }
      const float scale = lr / static_cast<float>(f.size());
      for (const uint32_t feat : f) {
        float* row = &m.embeddings_[static_cast<size_t>(feat) * dim];
        for (int d = 0; d < dim; ++d) row[d] -= scale * grad_hidden[d];
      }
    }
  }
  return m;
}

std::vector<float> FastTextClassifier::predict_proba(std::string_view text) const {
  const auto f = features(text);
  std::vector<float> hidden(config_.dim), probs(num_classes_);
  forward(f, hidden, probs);
  return probs;
}

}  // namespace bog::model
