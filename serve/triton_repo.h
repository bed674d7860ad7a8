// The ONNX step of the Triton repository (serve/triton_ensemble.h holds the ensemble around it):
//   OUT/<name>_onnx/config.pbtxt, labels.txt, 1/model.onnx
// served by Triton's ONNX Runtime backend with dynamic batching (KServe's Triton runtime reads
// the same layout). config.pbtxt holds only fields of Triton's model_config.proto.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "onnx_runtime/graph.h"

namespace bog::serve {

struct TritonTensor {
  std::string name;
  std::string data_type;      // TYPE_INT64, TYPE_FP32, ...
  std::vector<int64_t> dims;  // without the batch dimension; -1 for a dynamic one
  std::string label_filename;
};

struct TritonModelConfig {
  std::string name;
  int max_batch_size = 64;
  std::vector<TritonTensor> inputs;
  std::vector<TritonTensor> outputs;
  std::vector<int> preferred_batch_sizes;
  int64_t max_queue_delay_microseconds = 2000;
  int instance_count = 1;
};

// Inputs and outputs from the model's graph; every one must have a leading batch dimension
// (Error(kUnsupported) otherwise). The first output gets labels.txt when `labels` is non-empty.
[[nodiscard]] TritonModelConfig triton_config_for(const runtime::Model& model,
                                                  const std::string& name, int max_batch_size,
                                                  bool has_labels);
// The text-format protobuf Triton reads.
[[nodiscard]] std::string to_pbtxt(const TritonModelConfig& config);

// Appends `field [ {name, data_type, dims, label_filename}, ... ]` (text-format protobuf).
void append_tensors(std::string& out, const char* field, const std::vector<TritonTensor>& tensors);

// Error(kInvalidArgument) unless the name is a usable directory and model name.
void check_triton_model_name(const std::string& name);

// Writes config.pbtxt and labels.txt into `model_dir` (= OUT/<name>), atomically.
void write_triton_files(const std::filesystem::path& model_dir, const TritonModelConfig& config,
                        const std::vector<std::string>& labels);

}  // namespace bog::serve
