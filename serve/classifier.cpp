#include "serve/classifier.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "model/data/sha256.h"
#include "model/train/evaluate.h"
#include "serve/length_buckets.h"

namespace bog::serve {
namespace {

std::string metadata_value(const runtime::Model& m, const std::string& key) {
  for (const auto& [k, v] : m.metadata) {
    if (k == key) return v;
  }
  return "";
}

}  // namespace

std::string detect_precision(const runtime::Model& model) {
  const std::string declared = metadata_value(model, "precision");
  if (!declared.empty()) return declared;
  bool int8 = false;
  for (const runtime::Node& n : model.graph.nodes) {
    if (n.op_type == "MatMulNBits") return "int4";
    if (n.op_type == "MatMulInteger" || n.op_type == "DynamicQuantizeLinear" ||
        n.op_type == "QLinearMatMul" || n.op_type == "DequantizeLinear") {
      int8 = true;
    }
  }
  if (int8) return "int8";
  if (!model.graph.outputs.empty()) {
    const runtime::DType t = model.graph.outputs.front().type.elem_type;
    if (t == runtime::DType::kFloat16) return "fp16";
    if (t == runtime::DType::kBFloat16) return "bf16";
  }
  return "fp32";
}

Classifier::Classifier(model::LoadedBundle bundle, runtime::Model onnx, std::string onnx_sha256,
                       const ServingConfig& config)
    : bundle_(std::move(bundle)) {
  const int max_len = bundle_.config.max_len;
  const int limit = config.max_tokens == 0 ? max_len : config.max_tokens;
  if (limit > max_len) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("serving config: max_tokens {} exceeds the model's max_len {}",
                            config.max_tokens, max_len));
  }
  info_.architecture = bundle_.manifest.value("architecture", "");
  info_.labels = bundle_.labels;
  info_.bundle_sha256 = metadata_value(onnx, "bundle_sha256");
  info_.onnx_sha256 = std::move(onnx_sha256);
  info_.precision = detect_precision(onnx);
  info_.ir_version = onnx.ir_version;
  const auto opset = onnx.graph.opsets.find("");
  info_.opset = opset == onnx.graph.opsets.end() ? 0 : opset->second;
  info_.exporter_version = metadata_value(onnx, "exporter_version");
  info_.max_len = max_len;
  info_.max_tokens = limit;
  info_.overlong = overlong_name(config.overlong);
  info_.num_params = bundle_.model ? bundle_.model->num_params() : 0;
  info_.provider_requested = config.provider;
  run_overhead_tokens_ = config.run_overhead_tokens;

  runtime::SessionOptions options;
  options.providers = {config.provider};
  if (config.provider != "reference") options.providers.push_back("reference");
  options.threads = config.threads;
  options.precision = runtime::parse_precision(config.precision);
  session_ = std::make_unique<runtime::Session>(std::move(onnx), options);
  const runtime::PlacementReport& placement = session_->placement();
  info_.providers_used = placement.used;
  info_.fallback_reasons = placement.fallback_reasons();
  bool has_ids = false;
  for (const runtime::ValueInfo& in : session_->input_infos()) has_ids |= in.name == "input_ids";
  if (!has_ids || session_->output_infos().empty()) {
    throw Error(ErrorCategory::kInvalidModel,
                "serve: the model needs an input_ids input and a logits output");
  }
}

Classifier::~Classifier() = default;

Encoded Classifier::encode(std::string_view text) const {
  // The whole text first, so an over-long one can be rejected; then exactly what
  // model::encode_text (and so `bog predict`) feeds the model.
  const auto full = bundle_.tokenizer->encode(text, 0, bundle_.config.prepend_cls, false);
  Encoded e;
  e.tokens = static_cast<int>(full.size());
  if (e.tokens > info_.max_tokens) {
    if (info_.overlong == std::string("reject")) {
      throw TextTooLong(
          fmt::format("text has {} tokens; the limit is {}", e.tokens, info_.max_tokens));
    }
    e.truncated = true;
  }
  std::vector<int> ids(full.begin(), full.end());
  if (ids.empty() || (bundle_.config.prepend_cls && ids.size() == 1)) {
    ids.push_back(model::Tokenizer::kUnkId);
  }
  if (static_cast<int>(ids.size()) > info_.max_tokens) ids.resize(info_.max_tokens);
  e.ids.assign(ids.begin(), ids.end());
  return e;
}

std::vector<Probabilities> Classifier::predict(std::span<const Encoded* const> batch) {
  std::vector<int64_t> lengths;
  lengths.reserve(batch.size());
  for (const Encoded* e : batch) lengths.push_back(static_cast<int64_t>(e->ids.size()));
  const std::vector<std::vector<size_t>> runs = plan_length_runs(lengths, run_overhead_tokens_);
  if (runs.size() == 1 && runs[0].size() == batch.size()) return run_padded(batch);
  std::vector<Probabilities> result(batch.size());
  std::vector<const Encoded*> part;
  for (const std::vector<size_t>& run : runs) {
    part.clear();
    for (const size_t i : run) part.push_back(batch[i]);
    std::vector<Probabilities> got = run_padded(part);
    for (size_t k = 0; k < run.size(); ++k) result[run[k]] = std::move(got[k]);
  }
  return result;
}

std::vector<Probabilities> Classifier::run_padded(std::span<const Encoded* const> batch) {
  if (batch.empty()) return {};
  ++runs_;
  const int64_t b = static_cast<int64_t>(batch.size());
  int64_t t = 1;
  for (const Encoded* e : batch) t = std::max<int64_t>(t, static_cast<int64_t>(e->ids.size()));
  runtime::Tensor ids(runtime::DType::kInt64, {b, t});
  runtime::Tensor mask(runtime::DType::kInt64, {b, t});
  for (int64_t r = 0; r < b; ++r) {
    const std::vector<int64_t>& row = batch[static_cast<size_t>(r)]->ids;
    for (int64_t c = 0; c < t; ++c) {
      const bool in = c < static_cast<int64_t>(row.size());
      ids.data<int64_t>()[r * t + c] = in ? row[static_cast<size_t>(c)] : model::Tokenizer::kPadId;
      mask.data<int64_t>()[r * t + c] = in ? 1 : 0;
    }
  }
  std::map<std::string, runtime::Value> feeds;
  feeds["input_ids"] = runtime::Value::from_tensor(std::move(ids));
  for (const runtime::ValueInfo& in : session_->input_infos()) {
    if (in.name == "attention_mask") {
      feeds["attention_mask"] = runtime::Value::from_tensor(std::move(mask));
      break;
    }
  }
  std::map<std::string, runtime::Value> out = session_->run(std::move(feeds));
  const std::string name = session_->output_infos().front().name;  // a copy: by value
  const runtime::Tensor& logits = out.at(name).tensor;
  if (logits.dtype() != runtime::DType::kFloat32 || logits.rank() != 2 || logits.dim(0) != b ||
      logits.dim(1) != static_cast<int64_t>(info_.labels.size())) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("serve: output '{}' is {} but [{}, {}] float32 was expected", name,
                            runtime::shape_to_string(logits.shape()), b, info_.labels.size()));
  }
  const int64_t c = logits.dim(1);
  std::vector<Probabilities> result(static_cast<size_t>(b));
  for (int64_t r = 0; r < b; ++r) {
    const float* row = logits.data<float>() + r * c;
    // Subtract the row max before exp so large logits cannot overflow.
    const float m = *std::max_element(row, row + c);
    double sum = 0;
    Probabilities& p = result[static_cast<size_t>(r)];
    p.probs.resize(static_cast<size_t>(c));
    for (int64_t j = 0; j < c; ++j) sum += std::exp(static_cast<double>(row[j] - m));
    for (int64_t j = 0; j < c; ++j) {
      p.probs[static_cast<size_t>(j)] =
          static_cast<float>(std::exp(static_cast<double>(row[j] - m)) / sum);
    }
    p.label = static_cast<int>(std::max_element(p.probs.begin(), p.probs.end()) - p.probs.begin());
  }
  return result;
}

}  // namespace bog::serve
