// Feed checks (feeds.h).
#include "onnx_runtime/session/feeds.h"

#include <fmt/format.h>

#include "common/error.h"

namespace bog::runtime::session {

std::string type_to_string(const TypeInfo& t) {
  return t.kind == ValueKind::kTensor ? std::string(dtype_name(t.elem_type)) : kind_name(t.kind);
}

void check_feed(const ValueInfo& info, const Value& v) {
  const TypeInfo& t = info.type;
  if (v.kind != t.kind) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("input '{}' expects a {}, got a {}", info.name, kind_name(t.kind),
                            kind_name(v.kind)));
  }
  if (v.kind != ValueKind::kTensor) return;
  if (!v.tensor.defined()) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("input '{}' is an undefined tensor", info.name));
  }
  if (t.elem_type != DType::kUndefined && v.tensor.dtype() != t.elem_type) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("input '{}' expects {}, got {}", info.name, type_to_string(t),
                            dtype_name(v.tensor.dtype())));
  }
  if (t.has_shape && static_cast<size_t>(v.tensor.rank()) != t.shape.size()) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("input '{}' expects rank {}, got shape {}", info.name, t.shape.size(),
                            shape_to_string(v.tensor.shape())));
  }
}

}  // namespace bog::runtime::session
