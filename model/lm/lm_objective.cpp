#include "model/lm/lm_objective.h"

#include <cmath>

namespace bog::model {

TokenizedSet tokenize_documents(const std::vector<Example>& examples, const Tokenizer& tokenizer,
                                const ModelConfig& config) {
  TokenizedSet set;
  set.ids.resize(examples.size());
  set.labels.resize(examples.size());
#pragma omp parallel for schedule(dynamic, 64)
  for (size_t i = 0; i < examples.size(); ++i) {
    const auto ids = tokenizer.encode(examples[i].text(), config.max_len, true, true);
    set.ids[i].assign(ids.begin(), ids.end());
    set.labels[i] = examples[i].label;
  }
  return set;
}

NextTokenLoss next_token_loss(const Mat& logits, std::span<const int> ids, const SeqLayout& layout,
                              float smoothing, bool want_grad) {
  NextTokenLoss out;
  const Eigen::Index vocab = logits.cols();
  const int T = layout.seq_len;
  for (int b = 0; b < layout.batch; ++b) out.targets += std::max(0, layout.lengths[b] - 1);
  if (want_grad) out.dlogits = Mat::Zero(logits.rows(), vocab);
  if (out.targets == 0) return out;
  const float inv_n = 1.0f / static_cast<float>(out.targets);
  const double uniform = smoothing / static_cast<double>(vocab);
  double loss = 0, nll = 0;
#pragma omp parallel for schedule(static) reduction(+ : loss, nll)
  for (int r = 0; r < layout.rows(); ++r) {
    const int b = r / T, t = r % T;
    if (t >= layout.lengths[b] - 1) continue;
    const int target = ids[static_cast<size_t>(r) + 1];
    const auto row = logits.row(r);
    const float mx = row.maxCoeff();
    const Eigen::ArrayXf e = (row.array() - mx).exp().transpose();
    const double sum = e.cast<double>().sum();
    const double log_z = mx + std::log(sum);
    const double target_nll = log_z - row(target);
    nll += target_nll;
    // Smoothed target: (1 - s) on the next token, s / vocab everywhere.
    loss += (1.0 - smoothing) * target_nll +
            (smoothing > 0 ? smoothing * log_z - uniform * row.cast<double>().sum() : 0.0);
    if (want_grad) {
      auto d = out.dlogits.row(r);
      d = (e * static_cast<float>(1.0 / sum)).matrix().transpose();
      if (smoothing > 0) d.array() -= static_cast<float>(uniform);
      d(target) -= 1.0f - smoothing;
      d *= inv_n;
    }
  }
  out.loss = loss / static_cast<double>(out.targets);
  out.nll_sum = nll;
  return out;
}

PerplexityResult evaluate_perplexity(TinyLlamaLm& model, const TokenizedSet& set, int batch_size) {
  PerplexityResult result;
  double nll = 0;
  for (const auto& indices : eval_batches(set, batch_size)) {
    const Batch batch = make_batch(set, indices, Tokenizer::kPadId);
    const Mat logits = model.forward(batch.ids, batch.layout, false, nullptr);
    const NextTokenLoss l = next_token_loss(logits, batch.ids, batch.layout, 0.0f, false);
    nll += l.nll_sum;
    result.tokens += l.targets;
  }
  result.documents = static_cast<int64_t>(set.ids.size());
  result.nll = result.tokens > 0 ? nll / static_cast<double>(result.tokens) : 0.0;
  result.perplexity = std::exp(result.nll);
  return result;
}

}  // namespace bog::model
