// The Triton repository under the names `bog serve` speaks by the Open Inference Protocol: the
// model <name> is an ensemble taking `text` (TYPE_STRING, [n]) and giving `probabilities`
// (TYPE_FP32, [n, classes]) and `label` (TYPE_STRING, [n]), as /v2/models/<name>/infer does.
//
//   OUT/<name>/config.pbtxt, OUT/<name>/1/               the ensemble (no batching: shapes are
//                                                         the client's, [n] in, [n, classes] out)
//   OUT/<name>_tokenize/config.pbtxt, 1/model.py, 1/tokenizer.model    Python backend
//   OUT/<name>_onnx/config.pbtxt, labels.txt, 1/model.onnx             ONNX Runtime backend,
//                                                         dynamic batching (serve/triton_repo.h)
//   OUT/<name>_postprocess/config.pbtxt, labels.txt, 1/model.py        Python backend
//
// The tokenizer pads to max_len, so every request's ids have one shape and Triton's dynamic
// batcher can merge requests; n is at most the ONNX step's max_batch_size.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "serve/triton_repo.h"

namespace bog::serve {

struct TritonTextModel {
  std::string name;  // the ensemble's, = the v2 model name
  int max_len = 0;
  bool prepend_cls = false;
  std::vector<std::string> labels;
};

[[nodiscard]] std::string triton_step_name(const std::string& name, const char* step);

// config.pbtxt of the three models around the ONNX step `onnx` (whose name must be
// triton_step_name(text.name, "onnx")). Error(kUnsupported) unless the ONNX step takes
// input_ids (and optionally attention_mask) and gives one [classes] FP32 output.
[[nodiscard]] std::string ensemble_pbtxt(const TritonTextModel& text,
                                         const TritonModelConfig& onnx);
[[nodiscard]] std::string tokenize_pbtxt(const TritonTextModel& text,
                                         const TritonModelConfig& onnx);
[[nodiscard]] std::string postprocess_pbtxt(const TritonTextModel& text,
                                            const TritonModelConfig& onnx);

// Writes every file of the layout above but OUT/<name>_onnx/1/model.onnx (the exporter's).
void write_triton_repository(const std::filesystem::path& repo, const TritonTextModel& text,
                             const TritonModelConfig& onnx, const std::string& tokenizer_model);

}  // namespace bog::serve
