// Values <-> serialized TensorProto / SequenceProto / OptionalProto. The message is chosen by
// the declared type, because the three messages cannot be told apart from their bytes.
#include "onnx_runtime/proto_io.h"

#include <fmt/format.h>
#include <onnx/onnx-data_pb.h>

#include <climits>

#include "common/atomic_file.h"
#include "common/error.h"
#include "onnx_runtime/tensor_proto.h"

namespace bog::runtime {
namespace {

template <class Message>
void parse_or_throw(Message& message, std::string_view bytes, const char* what) {
  if (bytes.size() > static_cast<size_t>(INT_MAX) ||
      !message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{} bytes are not a valid serialized onnx.{}", bytes.size(), what));
  }
}

DType declared_element_dtype(const TypeInfo& declared) {
  if (declared.element && declared.element->kind == ValueKind::kTensor) {
    return declared.element->elem_type;
  }
  return DType::kUndefined;
}

Value sequence_from_proto(const onnx::SequenceProto& proto, const TypeInfo& declared) {
  if (proto.sequence_values_size() > 0 || proto.map_values_size() > 0 ||
      proto.optional_values_size() > 0 || proto.sparse_tensor_values_size() > 0) {
    throw Error(
        ErrorCategory::kUnsupported,
        fmt::format("sequence '{}': only sequences of dense tensors are supported", proto.name()));
  }
  std::vector<Tensor> items;
  items.reserve(static_cast<size_t>(proto.tensor_values_size()));
  DType elem = declared_element_dtype(declared);
  for (const onnx::TensorProto& t : proto.tensor_values()) {
    items.push_back(tensor_from_proto(t));
    if (elem == DType::kUndefined) elem = items.back().dtype();
  }
  return Value::from_sequence(std::move(items), elem);
}

Value optional_from_proto(const onnx::OptionalProto& proto, const TypeInfo& declared) {
  const TypeInfo inner = declared.element ? *declared.element : TypeInfo{};
  if (proto.has_tensor_value())
    return Value::some(Value::from_tensor(tensor_from_proto(proto.tensor_value())));
  if (proto.has_sequence_value()) {
    return Value::some(sequence_from_proto(proto.sequence_value(), inner));
  }
  if (proto.has_optional_value() || proto.has_map_value() || proto.has_sparse_tensor_value()) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("optional '{}': only optional tensors and sequences are supported",
                            proto.name()));
  }
  return Value::none();
}

void sequence_to_proto(const Value& value, onnx::SequenceProto& proto) {
  proto.set_elem_type(onnx::SequenceProto::TENSOR);
  for (const Tensor& t : value.sequence) *proto.add_tensor_values() = tensor_to_proto(t);
}

}  // namespace

Tensor parse_tensor_proto(std::string_view bytes) {
  onnx::TensorProto proto;
  parse_or_throw(proto, bytes, "TensorProto");
  return tensor_from_proto(proto);
}

NamedValue parse_value(std::string_view bytes, const TypeInfo& declared) {
  switch (declared.kind) {
    case ValueKind::kTensor: {
      onnx::TensorProto proto;
      parse_or_throw(proto, bytes, "TensorProto");
      return {proto.name(), Value::from_tensor(tensor_from_proto(proto))};
    }
    case ValueKind::kSequence: {
      onnx::SequenceProto proto;
      parse_or_throw(proto, bytes, "SequenceProto");
      return {proto.name(), sequence_from_proto(proto, declared)};
    }
    case ValueKind::kOptional: {
      onnx::OptionalProto proto;
      parse_or_throw(proto, bytes, "OptionalProto");
      return {proto.name(), optional_from_proto(proto, declared)};
    }
  }
  throw Error(ErrorCategory::kInternal, "unknown value kind");
}

NamedValue read_named_value_file(const std::filesystem::path& path, const TypeInfo& declared) {
  const std::string bytes = read_file(path);
  try {
    return parse_value(bytes, declared);
  } catch (const Error& e) {
    throw Error(e.category(), fmt::format("{}: {}", path.string(), e.what()));
  }
}

Value read_value_file(const std::filesystem::path& path, const TypeInfo& declared) {
  return std::move(read_named_value_file(path, declared).value);
}

std::string serialize_value(const Value& value, std::string_view name) {
  std::string out;
  switch (value.kind) {
    case ValueKind::kTensor:
      out = tensor_to_proto(value.tensor, name).SerializeAsString();
      break;
    case ValueKind::kSequence: {
      onnx::SequenceProto proto;
      proto.set_name(std::string(name));
      sequence_to_proto(value, proto);
      out = proto.SerializeAsString();
      break;
    }
    case ValueKind::kOptional: {
      onnx::OptionalProto proto;
      proto.set_name(std::string(name));
      if (!value.optional) {
        proto.set_elem_type(onnx::OptionalProto::UNDEFINED);
      } else if (value.optional->kind == ValueKind::kTensor) {
        proto.set_elem_type(onnx::OptionalProto::TENSOR);
        *proto.mutable_tensor_value() = tensor_to_proto(value.optional->tensor);
      } else if (value.optional->kind == ValueKind::kSequence) {
        proto.set_elem_type(onnx::OptionalProto::SEQUENCE);
        sequence_to_proto(*value.optional, *proto.mutable_sequence_value());
      } else {
        throw Error(
            ErrorCategory::kUnsupported,
            fmt::format("value '{}': an optional of an optional cannot be serialized", name));
      }
      out = proto.SerializeAsString();
      break;
    }
  }
  return out;
}

void write_value_file(const std::filesystem::path& path, const Value& value,
                      std::string_view name) {
  write_file_atomic(path, serialize_value(value, name));
}

}  // namespace bog::runtime
