#include "parity/onnx_accuracy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "common/error.h"
#include "model/bundle.h"
#include "model/tokenizer/tokenizer.h"
#include "model/train/batching.h"
#include "model/train/eval_report.h"
#include "model/train/evaluate.h"
#include "onnx_runtime/session.h"
#include "parity/model_parity.h"
#include "parity/ort_runner.h"
#include "parity/precision_report.h"

namespace bog::parity {
namespace fs = std::filesystem;

OnnxEval evaluate_onnx(const fs::path& bundle_dir, const fs::path& onnx, const fs::path& data_dir,
                       const std::string& split, const std::string& provider, int threads,
                       int batch, const std::string& precision) {
  if (provider != "cpu" && provider != "reference" && provider != "ort") {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("unknown provider '{}' (known: cpu, reference, ort)", provider));
  }
  if (!fs::is_regular_file(onnx)) {
    throw Error(ErrorCategory::kIo, fmt::format("ONNX file '{}' not found", onnx.string()));
  }
  const model::LoadedBundle bundle = model::load_bundle(bundle_dir);
  const nlohmann::json& prov = bundle.manifest.value("provenance", nlohmann::json::object());
  const model::TokenizedSet set = model::tokenize_examples(
      model::split_examples(prov, data_dir, split), *bundle.tokenizer, bundle.config);
  const int n = static_cast<int>(set.ids.size());
  const int classes = static_cast<int>(bundle.labels.size());
  // Batches of similar length: padding changes nothing (the mask), but it costs time.
  std::vector<int> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return set.ids[static_cast<size_t>(a)].size() < set.ids[static_cast<size_t>(b)].size();
  });
  struct B {
    std::vector<int> idx;
    runtime::Tensor ids, mask;
  };
  std::vector<B> batches;
  for (int s = 0; s < n; s += batch) {
    B b;
    b.idx.assign(order.begin() + s, order.begin() + std::min(n, s + batch));
    std::tie(b.ids, b.mask) =
        to_onnx_inputs(model::make_batch(set, b.idx, model::Tokenizer::kPadId));
    batches.push_back(std::move(b));
  }
  OnnxEval out;
  out.num_classes = classes;
  out.logits.assign(static_cast<size_t>(n) * classes, 0.0f);
  auto store = [&](const B& b, const runtime::Tensor& logits) {
    if (logits.dtype() != runtime::DType::kFloat32 ||
        logits.numel() != static_cast<int64_t>(b.idx.size()) * classes) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("'{}' returned logits of shape {} for a batch of {} (want [{}, {}])",
                              onnx.filename().string(), runtime::shape_to_string(logits.shape()),
                              b.idx.size(), b.idx.size(), classes));
    }
    for (size_t r = 0; r < b.idx.size(); ++r) {
      std::copy_n(logits.data<float>() + r * classes, classes,
                  out.logits.begin() + static_cast<int64_t>(b.idx[r]) * classes);
    }
  };
  if (provider == "ort") {
    const auto ort = OrtRunner::find();
    if (!ort) {
      throw Error(ErrorCategory::kProviderUnavailable,
                  "ONNX Runtime unavailable: " + OrtRunner::why_unavailable());
    }
    std::vector<OrtRunner::Feeds> feeds;
    for (const B& b : batches)
      feeds.push_back({{"input_ids", &b.ids}, {"attention_mask", &b.mask}});
    OrtRunOptions o;
    o.threads = threads;
    const std::vector<OrtRunResult> runs = ort->run_sets(onnx, feeds, o);
    for (size_t i = 0; i < batches.size(); ++i) store(batches[i], runs.at(i).outputs.at(0));
    out.provider_used = "ort:" + (runs.empty() ? std::string("cpu") : runs[0].provider);
  } else {
    runtime::SessionOptions so;
    so.providers = {provider, "reference"};
    so.threads = threads;
    so.precision = runtime::parse_precision(precision);
    runtime::Session session = runtime::Session::from_file(onnx, so);
    for (const B& b : batches) {
      std::map<std::string, runtime::Value> feeds;
      feeds["input_ids"] = runtime::Value::from_tensor(b.ids.clone());
      feeds["attention_mask"] = runtime::Value::from_tensor(b.mask.clone());
      auto res = session.run(std::move(feeds));
      store(b, res.at("logits").tensor);
    }
    const auto& used = session.placement().used;
    out.provider_used = fmt::format("{}", fmt::join(used, "+"));
  }
  model::MetricsAccumulator acc(classes);
  std::vector<float> p(static_cast<size_t>(classes));
  for (int i = 0; i < n; ++i) {
    const float* l = out.logits.data() + static_cast<size_t>(i) * classes;
    const float mx = *std::max_element(l, l + classes);
    double z = 0;
    for (int c = 0; c < classes; ++c) z += std::exp(static_cast<double>(l[c] - mx));
    for (int c = 0; c < classes; ++c)
      p[static_cast<size_t>(c)] = static_cast<float>(std::exp(static_cast<double>(l[c] - mx)) / z);
    acc.add(p, set.labels[static_cast<size_t>(i)]);
  }
  out.metrics = acc.finish();
  out.report = model::classifier_eval_json(bundle_dir, bundle.manifest, bundle.config.architecture,
                                           split, out.metrics);
  out.report["onnx"] = onnx.filename().string();
  out.report["provider"] = provider;
  out.report["provider_used"] = out.provider_used;
  out.report["precision"] = provider == "ort" ? nlohmann::json("fp32") : precision_json(precision);
  return out;
}

}  // namespace bog::parity
