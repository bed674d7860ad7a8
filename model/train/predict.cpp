#include "model/train/predict.h"

#include "model/layers/cross_entropy.h"
#include "model/train/evaluate.h"

namespace bog::model {

TextPrediction predict_text(const LoadedBundle& bundle, const std::string& text) {
  const auto ids = encode_text(text, *bundle.tokenizer, bundle.config);
  SeqLayout layout{1, static_cast<int>(ids.size()), {static_cast<int>(ids.size())}};
  const Mat probs = softmax_rows(bundle.model->forward(ids, layout, false, nullptr));
  Eigen::Index best = 0;
  probs.row(0).maxCoeff(&best);
  TextPrediction p;
  p.label = static_cast<int>(best);
  for (Eigen::Index j = 0; j < probs.cols(); ++j) p.probs.push_back(probs(0, j));
  return p;
}

}  // namespace bog::model
