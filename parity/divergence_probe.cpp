#include "parity/divergence_probe.h"

#include "model/bundle.h"
#include "model/train/batching.h"
#include "model/train/evaluate.h"
#include "parity/graph_parity.h"

namespace bog::parity {

std::map<std::string, runtime::Tensor> bundle_text_feeds(const std::filesystem::path& bundle,
                                                         const std::string& text) {
  const model::LoadedBundle b = model::load_bundle(bundle);
  model::TokenizedSet set;
  set.ids.push_back(model::encode_text(text, *b.tokenizer, b.config));
  set.labels.push_back(0);
  const std::vector<int> idx = {0};
  const model::Batch batch = model::make_batch(set, idx, model::Tokenizer::kPadId);
  std::map<std::string, runtime::Tensor> feeds;
  runtime::Tensor ids(runtime::DType::kInt64, {1, batch.layout.seq_len});
  runtime::Tensor mask(runtime::DType::kInt64, {1, batch.layout.seq_len});
  for (int t = 0; t < batch.layout.seq_len; ++t) {
    ids.data<int64_t>()[t] = batch.ids[static_cast<size_t>(t)];
    mask.data<int64_t>()[t] = 1;
  }
  feeds["input_ids"] = std::move(ids);
  feeds["attention_mask"] = std::move(mask);
  return feeds;
}

nlohmann::json first_divergence_json(const std::filesystem::path& onnx,
                                     const std::vector<std::string>& providers,
                                     const FeedsMaker& make_feeds, const Tolerance& tolerance,
                                     int threads) {
  std::vector<std::string> interp;
  for (const std::string& p : providers) {
    if (p != "ort") interp.push_back(p);
  }
  if (interp.size() < 2) return "needs two interpreter providers (reference, cpu, cuda)";
  return first_divergence(onnx, make_feeds(), interp[0], interp[1], tolerance, threads).to_json();
}

}  // namespace bog::parity
