// A runtime value: a tensor, a sequence of tensors, or an optional (of a tensor or a sequence).
#pragma once

#include <memory>
#include <vector>

#include "onnx_runtime/tensor.h"

namespace bog::runtime {

enum class ValueKind { kTensor, kSequence, kOptional };

// "tensor", "sequence" or "optional", for messages.
constexpr const char* kind_name(ValueKind k) {
  switch (k) {
    case ValueKind::kTensor:
      return "tensor";
    case ValueKind::kSequence:
      return "sequence";
    case ValueKind::kOptional:
      return "optional";
  }
  return "?";
}

struct Value {
  ValueKind kind = ValueKind::kTensor;
  Tensor tensor;                             // kTensor
  std::vector<Tensor> sequence;              // kSequence
  DType sequence_dtype = DType::kUndefined;  // element type, meaningful for an empty sequence
  std::unique_ptr<Value> optional;           // kOptional: nullptr means "no value"

  static Value from_tensor(Tensor t) {
    Value v;
    v.tensor = std::move(t);
    return v;
  }
  static Value from_sequence(std::vector<Tensor> items, DType elem_dtype) {
    Value v;
    v.kind = ValueKind::kSequence;
    v.sequence = std::move(items);
    v.sequence_dtype = elem_dtype;
    return v;
  }
  static Value none() {
    Value v;
    v.kind = ValueKind::kOptional;
    return v;
  }
  static Value some(Value inner) {
    Value v;
    v.kind = ValueKind::kOptional;
    v.optional = std::make_unique<Value>(std::move(inner));
    return v;
  }
  [[nodiscard]] Value clone() const;
  bool is_tensor() const { return kind == ValueKind::kTensor; }
};

inline Value Value::clone() const {
  Value v;
  v.kind = kind;
  v.tensor = tensor.clone();
  v.sequence.reserve(sequence.size());
  for (const Tensor& t : sequence) v.sequence.push_back(t.clone());
  v.sequence_dtype = sequence_dtype;
  if (optional) v.optional = std::make_unique<Value>(optional->clone());
  return v;
}

}  // namespace bog::runtime
