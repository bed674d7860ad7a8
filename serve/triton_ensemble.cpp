#include "serve/triton_ensemble.h"

#include <fmt/format.h>

#include "common/atomic_file.h"
#include "common/error.h"
#include "serve/oip_v2.h"
#include "serve/triton_python.h"

namespace bog::serve {
namespace {

// The ONNX step's tensors the ensemble wires: ids, the optional mask, the logits.
struct OnnxTensors {
  std::string ids, mask, logits;
  int64_t classes = 0;
};

OnnxTensors onnx_tensors(const TritonTextModel& text, const TritonModelConfig& onnx) {
  OnnxTensors t;
  for (const TritonTensor& in : onnx.inputs) {
    if (in.data_type != "TYPE_INT64" || in.dims.size() != 1) {
      throw Error(ErrorCategory::kUnsupported,
                  fmt::format("triton: ONNX input '{}' is not INT64 [batch, seq]", in.name));
    }
    if (in.name == "input_ids") {
      t.ids = in.name;
    } else if (in.name == "attention_mask") {
      t.mask = in.name;
    } else {
      throw Error(ErrorCategory::kUnsupported,
                  fmt::format("triton: the tokenizer step cannot feed ONNX input '{}'", in.name));
    }
  }
  if (t.ids.empty()) throw Error(ErrorCategory::kUnsupported, "triton: no ONNX input 'input_ids'");
  const TritonTensor& out = onnx.outputs.front();
  if (onnx.outputs.size() != 1 || out.data_type != "TYPE_FP32" || out.dims.size() != 1 ||
      out.dims[0] != static_cast<int64_t>(text.labels.size())) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("triton: the ONNX model must give one FP32 [batch, {}] output",
                            text.labels.size()));
  }
  t.logits = out.name;
  t.classes = out.dims[0];
  return t;
}

std::string header(const std::string& name, const char* what) {
  return fmt::format(
      "# Triton model configuration (model_config.proto), written by bog export: {}.\n"
      "name: \"{}\"\n",
      what, name);
}

std::string parameters(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::string out;
  for (const auto& [k, v] : kv) {
    out += fmt::format("parameters {{\n  key: \"{}\"\n  value: {{ string_value: \"{}\" }}\n}}\n", k,
                       v);
  }
  return out;
}

std::string python_model(const std::string& name, const char* what,
                         const std::vector<TritonTensor>& inputs,
                         const std::vector<TritonTensor>& outputs,
                         const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out = header(name, what);
  out += "backend: \"python\"\nmax_batch_size: 0\n";
  append_tensors(out, "input", inputs);
  append_tensors(out, "output", outputs);
  out += parameters(params);
  out += "instance_group [\n  {\n    count: 1\n    kind: KIND_CPU\n  }\n]\n";
  return out;
}

std::string maps(const char* field, const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    out += fmt::format("      {} {{\n        key: \"{}\"\n        value: \"{}\"\n      }}\n", field,
                       n, n);
  }
  return out;
}

std::string step(const std::string& model, const std::vector<std::string>& in,
                 const std::vector<std::string>& out) {
  return fmt::format("    {{\n      model_name: \"{}\"\n      model_version: -1\n{}{}    }}", model,
                     maps("input_map", in), maps("output_map", out));
}

std::vector<std::string> ids_and_mask(const OnnxTensors& t) {
  std::vector<std::string> v = {t.ids};
  if (!t.mask.empty()) v.push_back(t.mask);
  return v;
}

}  // namespace

std::string triton_step_name(const std::string& name, const char* step) {
  return fmt::format("{}_{}", name, step);
}

std::string ensemble_pbtxt(const TritonTextModel& text, const TritonModelConfig& onnx) {
  const OnnxTensors t = onnx_tensors(text, onnx);
  std::string out = header(text.name, "the ensemble bog serve's /v2 names");
  out += "platform: \"ensemble\"\nmax_batch_size: 0\n";
  append_tensors(out, "input", {{kV2Input, "TYPE_STRING", {-1}, ""}});
  append_tensors(
      out, "output",
      {{kV2Probabilities, "TYPE_FP32", {-1, t.classes}, ""}, {kV2Label, "TYPE_STRING", {-1}, ""}});
  out += "ensemble_scheduling {\n  step [\n";
  out += step(triton_step_name(text.name, "tokenize"), {kV2Input}, ids_and_mask(t)) + ",\n";
  out += step(onnx.name, ids_and_mask(t), {t.logits}) + ",\n";
  out +=
      step(triton_step_name(text.name, "postprocess"), {t.logits}, {kV2Probabilities, kV2Label}) +
      "\n";
  out += "  ]\n}\n";
  return out;
}

std::string tokenize_pbtxt(const TritonTextModel& text, const TritonModelConfig& onnx) {
  const OnnxTensors t = onnx_tensors(text, onnx);
  std::vector<TritonTensor> outs;
  for (const std::string& n : ids_and_mask(t))
    outs.push_back({n, "TYPE_INT64", {-1, text.max_len}, ""});
  return python_model(triton_step_name(text.name, "tokenize"),
                      "text -> token ids (1/model.py, 1/tokenizer.model)",
                      {{kV2Input, "TYPE_STRING", {-1}, ""}}, outs,
                      {{"max_len", std::to_string(text.max_len)},
                       {"prepend_cls", text.prepend_cls ? "true" : "false"},
                       {"max_texts", std::to_string(onnx.max_batch_size)},
                       {"ids_name", t.ids},
                       {"mask_name", t.mask}});
}

std::string postprocess_pbtxt(const TritonTextModel& text, const TritonModelConfig& onnx) {
  const OnnxTensors t = onnx_tensors(text, onnx);
  return python_model(
      triton_step_name(text.name, "postprocess"),
      "logits -> probabilities, label (1/model.py, labels.txt)",
      {{t.logits, "TYPE_FP32", {-1, t.classes}, ""}},
      {{kV2Probabilities, "TYPE_FP32", {-1, t.classes}, ""}, {kV2Label, "TYPE_STRING", {-1}, ""}},
      {{"logits_name", t.logits}});
}

void write_triton_repository(const std::filesystem::path& repo, const TritonTextModel& text,
                             const TritonModelConfig& onnx, const std::string& tokenizer_model) {
  if (text.max_len < 1) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("triton: max_len {} must be at least 1", text.max_len));
  }
  const std::string ensemble = ensemble_pbtxt(text, onnx);  // checks the ONNX step first
  const std::filesystem::path tok = repo / triton_step_name(text.name, "tokenize");
  const std::filesystem::path post = repo / triton_step_name(text.name, "postprocess");
  for (const auto& dir : {repo / text.name / "1", tok / "1", post / "1"}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      throw Error(ErrorCategory::kIo,
                  fmt::format("triton: cannot create {}: {}", dir.string(), ec.message()));
    }
  }
  write_triton_files(repo / onnx.name, onnx, text.labels);
  write_file_atomic(repo / text.name / "config.pbtxt", ensemble);
  write_file_atomic(tok / "config.pbtxt", tokenize_pbtxt(text, onnx));
  write_file_atomic(tok / "1" / "model.py", kTritonTokenizePy);
  write_file_atomic(tok / "1" / "tokenizer.model", tokenizer_model);
  std::string labels;
  for (const std::string& l : text.labels) labels += l + "\n";
  write_file_atomic(post / "labels.txt", labels);
  write_file_atomic(post / "config.pbtxt", postprocess_pbtxt(text, onnx));
  write_file_atomic(post / "1" / "model.py", kTritonPostprocessPy);
}

}  // namespace bog::serve
