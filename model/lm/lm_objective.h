// Next-token objective of the decoder LM: documents as BOS + text + EOS, the mean
// cross-entropy of each real position's next token, and perplexity over a tokenised set.
#pragma once

#include <span>
#include <vector>

#include "model/data/ag_news.h"
#include "model/lm/tiny_llama_lm.h"
#include "model/tokenizer/tokenizer.h"
#include "model/train/batching.h"

namespace bog::model {

// BOS + pieces of example.text() + EOS, at most config.max_len ids (EOS stays last).
[[nodiscard]] TokenizedSet tokenize_documents(const std::vector<Example>& examples,
                                              const Tokenizer& tokenizer,
                                              const ModelConfig& config);

struct NextTokenLoss {
  double loss = 0;      // mean over targets of the (label-smoothed) cross-entropy
  double nll_sum = 0;   // sum over targets of -log p(target), no smoothing
  int64_t targets = 0;  // positions t < length - 1 of every sequence
  Mat dlogits;          // d loss / d logits (zero on rows without a target); empty unless asked
};

// logits [layout.rows(), vocab] from TinyLlamaLm::forward on `ids`; row b * seq_len + t is
// scored against ids[b * seq_len + t + 1] for t < lengths[b] - 1.
[[nodiscard]] NextTokenLoss next_token_loss(const Mat& logits, std::span<const int> ids,
                                            const SeqLayout& layout, float smoothing,
                                            bool want_grad);

struct PerplexityResult {
  double nll = 0;         // mean negative log-likelihood per predicted token (nats)
  double perplexity = 0;  // exp(nll)
  int64_t tokens = 0;     // predicted tokens (each document's length - 1)
  int64_t documents = 0;
};

[[nodiscard]] PerplexityResult evaluate_perplexity(TinyLlamaLm& model, const TokenizedSet& set,
                                                   int batch_size = 32);

}  // namespace bog::model
