#include "serve/triton_repo.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bog::serve {
namespace {

std::string triton_type(runtime::DType t, const std::string& tensor) {
  using runtime::DType;
  switch (t) {
    case DType::kFloat32:
      return "TYPE_FP32";
    case DType::kFloat16:
      return "TYPE_FP16";
    case DType::kBFloat16:
      return "TYPE_BF16";
    case DType::kInt64:
      return "TYPE_INT64";
    case DType::kInt32:
      return "TYPE_INT32";
    case DType::kInt8:
      return "TYPE_INT8";
    case DType::kUint8:
      return "TYPE_UINT8";
    case DType::kBool:
      return "TYPE_BOOL";
    default:
      throw Error(ErrorCategory::kUnsupported,
                  fmt::format("triton: tensor '{}' has a type this writer does not map", tensor));
  }
}

TritonTensor tensor_for(const runtime::ValueInfo& v) {
  if (v.type.kind != runtime::ValueKind::kTensor || !v.type.has_shape || v.type.shape.empty()) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("triton: '{}' needs a tensor type with a shape", v.name));
  }
  const runtime::Dim& batch = v.type.shape.front();
  if (batch.value >= 0) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("triton: '{}' has a fixed first dimension ({}), not a batch axis",
                            v.name, batch.value));
  }
  TritonTensor t;
  t.name = v.name;
  t.data_type = triton_type(v.type.elem_type, v.name);
  for (size_t i = 1; i < v.type.shape.size(); ++i) {
    t.dims.push_back(v.type.shape[i].value >= 0 ? v.type.shape[i].value : -1);
  }
  return t;
}

std::string dims_text(const std::vector<int64_t>& dims) {
  return fmt::format("[ {} ]", fmt::join(dims, ", "));
}

}  // namespace

void append_tensors(std::string& out, const char* field, const std::vector<TritonTensor>& ts) {
  out += fmt::format("{} [\n", field);
  for (size_t i = 0; i < ts.size(); ++i) {
    const TritonTensor& t = ts[i];
    out += fmt::format("  {{\n    name: \"{}\"\n    data_type: {}\n    dims: {}\n", t.name,
                       t.data_type, dims_text(t.dims));
    if (!t.label_filename.empty()) {
      out += fmt::format("    label_filename: \"{}\"\n", t.label_filename);
    }
    out += i + 1 < ts.size() ? "  },\n" : "  }\n";
  }
  out += "]\n";
}

void check_triton_model_name(const std::string& name) {
  const bool ok =
      !name.empty() && name.size() <= 128 && name != "." && name != ".." &&
      std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
      });
  if (!ok) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("triton: model name '{}' must be 1-128 of [A-Za-z0-9_.-]", name));
  }
}

TritonModelConfig triton_config_for(const runtime::Model& model, const std::string& name,
                                    int max_batch_size, bool has_labels) {
  check_triton_model_name(name);
  if (max_batch_size < 1) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("triton: max batch size {} must be at least 1", max_batch_size));
  }
  TritonModelConfig c;
  c.name = name;
  c.max_batch_size = max_batch_size;
  for (const runtime::ValueInfo& v : model.graph.inputs) {
    if (!model.graph.is_initializer(v.name)) c.inputs.push_back(tensor_for(v));
  }
  for (const runtime::ValueInfo& v : model.graph.outputs) c.outputs.push_back(tensor_for(v));
  if (c.inputs.empty() || c.outputs.empty()) {
    throw Error(ErrorCategory::kUnsupported, "triton: the model has no inputs or no outputs");
  }
  if (has_labels) c.outputs.front().label_filename = "labels.txt";
  for (int b = 4; b <= max_batch_size; b *= 2) c.preferred_batch_sizes.push_back(b);
  return c;
}

std::string to_pbtxt(const TritonModelConfig& c) {
  std::string out = "# Triton model configuration (model_config.proto), written by bog export.\n";
  out += fmt::format("name: \"{}\"\n", c.name);
  out += "backend: \"onnxruntime\"\nplatform: \"onnxruntime_onnx\"\n";
  out += fmt::format("max_batch_size: {}\n", c.max_batch_size);
  append_tensors(out, "input", c.inputs);
  append_tensors(out, "output", c.outputs);
  out += "dynamic_batching {\n";
  if (!c.preferred_batch_sizes.empty()) {
    out +=
        fmt::format("  preferred_batch_size: [ {} ]\n", fmt::join(c.preferred_batch_sizes, ", "));
  }
  out += fmt::format("  max_queue_delay_microseconds: {}\n}}\n", c.max_queue_delay_microseconds);
  out += fmt::format("instance_group [\n  {{\n    count: {}\n    kind: KIND_CPU\n  }}\n]\n",
                     c.instance_count);
  return out;
}

void write_triton_files(const std::filesystem::path& model_dir, const TritonModelConfig& config,
                        const std::vector<std::string>& labels) {
  std::error_code ec;
  std::filesystem::create_directories(model_dir, ec);
  if (ec) {
    throw Error(ErrorCategory::kIo,
                fmt::format("triton: cannot create {}: {}", model_dir.string(), ec.message()));
  }
  if (!labels.empty()) {
    std::string text;
    for (const std::string& l : labels) text += l + "\n";
    write_file_atomic(model_dir / "labels.txt", text);
  }
  write_file_atomic(model_dir / "config.pbtxt", to_pbtxt(config));
}

}  // namespace bog::serve
