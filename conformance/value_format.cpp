#include "conformance/value_format.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "conformance/value_compare.h"

namespace bog::conformance {
namespace {

using runtime::Tensor;
using runtime::TypeInfo;
using runtime::Value;
using runtime::ValueKind;

std::string dims_to_string(const TypeInfo& type) {
  if (!type.has_shape) return "[...]";
  std::vector<std::string> dims;
  for (const runtime::Dim& d : type.shape) {
    dims.push_back(d.value >= 0 ? std::to_string(d.value) : (d.param.empty() ? "?" : d.param));
  }
  return fmt::format("[{}]", fmt::join(dims, ","));
}

std::string element_string(const Tensor& t, int64_t i) {
  if (t.dtype() == runtime::DType::kString) {
    return fmt::format("\"{}\"", t.strings()[static_cast<size_t>(i)]);
  }
  if (t.dtype() == runtime::DType::kBool) return element_as_double(t, i) != 0 ? "true" : "false";
  return fmt::format("{:.6g}", element_as_double(t, i));
}

std::string tensor_preview(const Tensor& t, size_t max_elements) {
  std::vector<std::string> items;
  const int64_t n = std::min<int64_t>(t.numel(), static_cast<int64_t>(max_elements));
  for (int64_t i = 0; i < n; ++i) items.push_back(element_string(t, i));
  if (t.numel() > n) items.push_back("...");
  return fmt::format("[{}]", fmt::join(items, ", "));
}

nlohmann::json tensor_json(const Tensor& t, size_t max_elements) {
  nlohmann::json preview = nlohmann::json::array();
  const int64_t n = std::min<int64_t>(t.numel(), static_cast<int64_t>(max_elements));
  for (int64_t i = 0; i < n; ++i) {
    if (t.dtype() == runtime::DType::kString) {
      preview.push_back(t.strings()[static_cast<size_t>(i)]);
    } else {
      const double v = element_as_double(t, i);
      // JSON has no NaN/Inf; name them.
      if (std::isfinite(v)) {
        preview.push_back(v);
      } else {
        preview.push_back(std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"));
      }
    }
  }
  return {{"kind", "tensor"},
          {"dtype", runtime::dtype_name(t.dtype())},
          {"shape", t.shape()},
          {"preview", preview}};
}

}  // namespace

std::string type_to_string(const TypeInfo& type) {
  switch (type.kind) {
    case ValueKind::kTensor:
      return fmt::format("{}{}", runtime::dtype_name(type.elem_type), dims_to_string(type));
    case ValueKind::kSequence:
      return fmt::format("seq({})", type.element ? type_to_string(*type.element) : "?");
    case ValueKind::kOptional:
      return fmt::format("opt({})", type.element ? type_to_string(*type.element) : "?");
  }
  return "?";
}

nlohmann::json type_to_json(const TypeInfo& type) {
  nlohmann::json j;
  switch (type.kind) {
    case ValueKind::kTensor: {
      j["kind"] = "tensor";
      j["dtype"] = runtime::dtype_name(type.elem_type);
      if (type.has_shape) {
        nlohmann::json dims = nlohmann::json::array();
        for (const runtime::Dim& d : type.shape) {
          if (d.value >= 0) {
            dims.push_back(d.value);
          } else {
            dims.push_back(d.param.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.param));
          }
        }
        j["shape"] = dims;
      } else {
        j["shape"] = nullptr;
      }
      break;
    }
    case ValueKind::kSequence:
    case ValueKind::kOptional:
      j["kind"] = type.kind == ValueKind::kSequence ? "sequence" : "optional";
      j["element"] = type.element ? type_to_json(*type.element) : nlohmann::json(nullptr);
      break;
  }
  j["type"] = type_to_string(type);
  return j;
}

std::string value_type_string(const Value& value) {
  switch (value.kind) {
    case ValueKind::kTensor:
      return fmt::format("{}{}", runtime::dtype_name(value.tensor.dtype()),
                         runtime::shape_to_string(value.tensor.shape()));
    case ValueKind::kSequence:
      return fmt::format("seq({} x {})", value.sequence.size(),
                         runtime::dtype_name(value.sequence_dtype));
    case ValueKind::kOptional:
      return value.optional ? fmt::format("opt({})", value_type_string(*value.optional))
                            : "opt(none)";
  }
  return "?";
}

std::string value_preview(const Value& value, size_t max_elements) {
  switch (value.kind) {
    case ValueKind::kTensor:
      return tensor_preview(value.tensor, max_elements);
    case ValueKind::kSequence: {
      std::vector<std::string> items;
      for (const Tensor& t : value.sequence) {
        items.push_back(fmt::format("{}{}", runtime::shape_to_string(t.shape()),
                                    tensor_preview(t, max_elements)));
      }
      return fmt::format("[{}]", fmt::join(items, ", "));
    }
    case ValueKind::kOptional:
      return value.optional ? value_preview(*value.optional, max_elements) : "none";
  }
  return "";
}

nlohmann::json value_to_json(const Value& value, size_t max_elements) {
  switch (value.kind) {
    case ValueKind::kTensor:
      return tensor_json(value.tensor, max_elements);
    case ValueKind::kSequence: {
      nlohmann::json items = nlohmann::json::array();
      for (const Tensor& t : value.sequence) items.push_back(tensor_json(t, max_elements));
      return {{"kind", "sequence"},
              {"dtype", runtime::dtype_name(value.sequence_dtype)},
              {"items", items}};
    }
    case ValueKind::kOptional:
      return {{"kind", "optional"},
              {"value", value.optional ? value_to_json(*value.optional, max_elements)
                                       : nlohmann::json(nullptr)}};
  }
  return nullptr;
}

}  // namespace bog::conformance
