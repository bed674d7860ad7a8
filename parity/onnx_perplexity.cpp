#include "parity/onnx_perplexity.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "common/error.h"
#include "generate/decoder_spec.h"
#include "model/bundle.h"
#include "model/lm/lm_objective.h"
#include "model/train/eval_report.h"
#include "onnx_runtime/session.h"

namespace bog::parity {

using runtime::DType;
using runtime::Tensor;

namespace {

// -log softmax(row)[target], in double.
double token_nll(const float* row, int64_t vocab, int64_t target) {
  const float mx = *std::max_element(row, row + vocab);
  double z = 0;
  for (int64_t v = 0; v < vocab; ++v) z += std::exp(static_cast<double>(row[v] - mx));
  return std::log(z) - static_cast<double>(row[target] - mx);
}

}  // namespace

OnnxPerplexity evaluate_onnx_perplexity(const std::filesystem::path& bundle_dir,
                                        const std::filesystem::path& onnx,
                                        const std::filesystem::path& data_dir,
                                        const std::string& split, const std::string& provider,
                                        int threads, int batch) {
  if (provider == "ort") {
    throw Error(ErrorCategory::kInvalidArgument,
                "perplexity of an ONNX decoder runs in the interpreter (--provider cpu or "
                "reference); ONNX Runtime's decode speed is `bog bench --generate`");
  }
  auto bundle = model::load_lm_bundle(bundle_dir);
  const nlohmann::json& prov = bundle.manifest.value("provenance", nlohmann::json::object());
  const auto examples = model::split_examples(prov, data_dir, split);
  const model::TokenizedSet set =
      model::tokenize_documents(examples, *bundle.tokenizer, bundle.config);

  runtime::SessionOptions so;
  so.providers = {provider};
  if (provider != "reference") so.providers.emplace_back("reference");
  so.threads = threads;
  runtime::Session session = runtime::Session::from_file(onnx, so);
  const generate::DecoderSpec spec = generate::inspect_decoder(session);
  if (spec.kv_heads <= 0 || spec.head_dim <= 0) {
    throw Error(ErrorCategory::kInvalidModel,
                "the decoder's past inputs do not declare kv_heads and head_dim");
  }
  const std::vector<runtime::ValueInfo> in_infos = session.input_infos();
  const std::vector<runtime::ValueInfo> out_infos = session.output_infos();
  const std::string logits_name = out_infos.at(static_cast<size_t>(spec.logits)).name;

  // Documents by length, so a batch pads little; right padding (masked) never reaches a real
  // position of a causal model.
  std::vector<size_t> order(set.ids.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return set.ids[a].size() < set.ids[b].size(); });
  double nll_sum = 0;
  int64_t targets = 0;
  for (size_t start = 0; start < order.size(); start += static_cast<size_t>(batch)) {
    const size_t end = std::min(order.size(), start + static_cast<size_t>(batch));
    const auto rows = static_cast<int64_t>(end - start);
    int64_t len = 0;
    for (size_t i = start; i < end; ++i)
      len = std::max<int64_t>(len, static_cast<int64_t>(set.ids[order[i]].size()));
    Tensor ids(DType::kInt64, {rows, len}), mask(DType::kInt64, {rows, len}),
        pos(DType::kInt64, {rows, len});
    for (int64_t r = 0; r < rows; ++r) {
      const std::vector<int>& doc = set.ids[order[start + static_cast<size_t>(r)]];
      for (int64_t t = 0; t < len; ++t) {
        const bool real = t < static_cast<int64_t>(doc.size());
        ids.data<int64_t>()[r * len + t] = real ? doc[static_cast<size_t>(t)] : 0;
        mask.data<int64_t>()[r * len + t] = real ? 1 : 0;
        pos.data<int64_t>()[r * len + t] = t;
      }
    }
    std::map<std::string, runtime::Value> feeds;
    feeds[in_infos.at(static_cast<size_t>(spec.input_ids)).name] =
        runtime::Value::from_tensor(std::move(ids));
    if (spec.has_attention_mask)
      feeds[in_infos.at(static_cast<size_t>(spec.attention_mask)).name] =
          runtime::Value::from_tensor(std::move(mask));
    if (spec.has_position_ids)
      feeds[in_infos.at(static_cast<size_t>(spec.position_ids)).name] =
          runtime::Value::from_tensor(std::move(pos));
    for (int l = 0; l < spec.layers; ++l) {
      for (const int idx :
           {spec.past_key[static_cast<size_t>(l)], spec.past_value[static_cast<size_t>(l)]}) {
        feeds[in_infos.at(static_cast<size_t>(idx)).name] = runtime::Value::from_tensor(
            Tensor(DType::kFloat32, {rows, spec.kv_heads, 0, spec.head_dim}));
      }
    }
    const auto out = session.run(std::move(feeds));
    const Tensor& logits = out.at(logits_name).tensor;
    if (logits.dtype() != DType::kFloat32 || logits.rank() != 3 || logits.dim(0) != rows ||
        logits.dim(1) != len) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("decoder logits have shape {}; expected [{}, {}, vocab]",
                              runtime::shape_to_string(logits.shape()), rows, len));
    }
    const int64_t vocab = logits.dim(2);
    for (int64_t r = 0; r < rows; ++r) {
      const std::vector<int>& doc = set.ids[order[start + static_cast<size_t>(r)]];
      for (size_t t = 0; t + 1 < doc.size(); ++t) {
        const float* row = logits.data<float>() + (r * len + static_cast<int64_t>(t)) * vocab;
        nll_sum += token_nll(row, vocab, doc[t + 1]);
        ++targets;
      }
    }
  }
  OnnxPerplexity r;
  r.documents = static_cast<int64_t>(set.ids.size());
  r.tokens = targets;
  r.nll = targets > 0 ? nll_sum / static_cast<double>(targets) : 0.0;
  r.perplexity = std::exp(r.nll);
  r.provider_used = fmt::format("{}", fmt::join(session.placement().used, "+"));
  r.report = model::lm_eval_json(bundle_dir, bundle.manifest, bundle.config.architecture, split,
                                 r.nll, r.perplexity, r.tokens, r.documents);
  r.report["onnx"] = onnx.filename().string();
  r.report["provider"] = provider;
  r.report["provider_used"] = r.provider_used;
  return r;
}

}  // namespace bog::parity
