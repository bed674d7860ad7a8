#include "conformance/random_inputs.h"

#include <fmt/format.h>

#include <cstring>
#include <random>

#include "common/error.h"

namespace bog::conformance {
namespace {

using runtime::DType;
using runtime::Tensor;
using runtime::TypeInfo;
using runtime::Value;
using runtime::ValueKind;

template <class T, class Next>
void fill_with(Tensor& t, Next next) {
  T* out = t.data<T>();
  for (int64_t i = 0; i < t.numel(); ++i) out[i] = next();
}

Tensor random_tensor(DType dtype, const runtime::Shape& shape, std::mt19937_64& rng) {
  if (dtype == DType::kUndefined) {
    throw Error(ErrorCategory::kInvalidArgument, "input has no declared element type");
  }
  Tensor t(dtype, shape);
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  std::uniform_int_distribution<int> small(0, 3);
  std::uniform_int_distribution<int> code(0, 0x3F);  // small-float codes: finite, magnitude < 2
  switch (dtype) {
    case DType::kFloat32:
      fill_with<float>(t, [&] { return real(rng); });
      break;
    case DType::kFloat64:
      fill_with<double>(t, [&] { return static_cast<double>(real(rng)); });
      break;
    case DType::kFloat16:
      fill_with<runtime::Float16>(t, [&] { return runtime::to_float16(real(rng)); });
      break;
    case DType::kBFloat16:
      fill_with<runtime::BFloat16>(t, [&] { return runtime::to_bfloat16(real(rng)); });
      break;
    case DType::kInt8:
    case DType::kInt4:
    case DType::kInt2:
      fill_with<int8_t>(t, [&] { return static_cast<int8_t>(small(rng) % 2); });
      break;
    case DType::kUint8:
    case DType::kUint4:
    case DType::kUint2:
      fill_with<uint8_t>(t, [&] { return static_cast<uint8_t>(small(rng) % 2); });
      break;
    case DType::kInt16:
      fill_with<int16_t>(t, [&] { return static_cast<int16_t>(small(rng)); });
      break;
    case DType::kUint16:
      fill_with<uint16_t>(t, [&] { return static_cast<uint16_t>(small(rng)); });
      break;
    case DType::kInt32:
      fill_with<int32_t>(t, [&] { return static_cast<int32_t>(small(rng)); });
      break;
    case DType::kUint32:
      fill_with<uint32_t>(t, [&] { return static_cast<uint32_t>(small(rng)); });
      break;
    case DType::kInt64:
      fill_with<int64_t>(t, [&] { return static_cast<int64_t>(small(rng)); });
      break;
    case DType::kUint64:
      fill_with<uint64_t>(t, [&] { return static_cast<uint64_t>(small(rng)); });
      break;
    case DType::kBool:
      fill_with<bool>(t, [&] { return small(rng) % 2 == 1; });
      break;
    case DType::kString:
      for (std::string& s : t.strings()) s = fmt::format("s{}", small(rng));
      break;
    case DType::kFloat8E4M3FN:
    case DType::kFloat8E4M3FNUZ:
    case DType::kFloat8E5M2:
    case DType::kFloat8E5M2FNUZ:
      fill_with<uint8_t>(t, [&] { return static_cast<uint8_t>(code(rng)); });
      break;
    case DType::kFloat8E8M0:
      fill_with<uint8_t>(t, [&] { return static_cast<uint8_t>(125 + small(rng)); });
      break;
    case DType::kFloat4E2M1:
      fill_with<uint8_t>(t, [&] { return static_cast<uint8_t>(code(rng) & 0x0F); });
      break;
    default:
      break;  // complex: zeros
  }
  return t;
}

runtime::Shape bind_shape(const std::string& input, const TypeInfo& type,
                          const std::map<std::string, int64_t>& dims,
                          std::map<std::string, int64_t>& used) {
  if (!type.has_shape) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("input '{}' declares no shape, so --random cannot build it; use --data",
                            input));
  }
  runtime::Shape shape;
  for (const runtime::Dim& d : type.shape) {
    if (d.value >= 0) {
      shape.push_back(d.value);
      continue;
    }
    const std::string key = d.param.empty() ? "?" : d.param;
    const auto it = dims.find(key);
    const int64_t v = it != dims.end() ? it->second : 1;
    used[key] = v;
    shape.push_back(v);
  }
  return shape;
}

Value random_value(const std::string& input, const TypeInfo& type,
                   const std::map<std::string, int64_t>& dims, std::map<std::string, int64_t>& used,
                   std::mt19937_64& rng) {
  switch (type.kind) {
    case ValueKind::kTensor:
      return Value::from_tensor(
          random_tensor(type.elem_type, bind_shape(input, type, dims, used), rng));
    case ValueKind::kSequence: {
      if (!type.element || type.element->kind != ValueKind::kTensor) {
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("input '{}' is a sequence of an undeclared type", input));
      }
      std::vector<Tensor> items;
      for (int k = 0; k < 2; ++k) {
        items.push_back(random_tensor(type.element->elem_type,
                                      bind_shape(input, *type.element, dims, used), rng));
      }
      return Value::from_sequence(std::move(items), type.element->elem_type);
    }
    case ValueKind::kOptional:
      if (!type.element) {
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("input '{}' is an optional of an undeclared type", input));
      }
      return Value::some(random_value(input, *type.element, dims, used, rng));
  }
  return {};
}

}  // namespace

std::pair<std::string, int64_t> parse_dim_binding(const std::string& text) {
  const size_t eq = text.find('=');
  const auto bad = [&] {
    return Error(
        ErrorCategory::kInvalidArgument,
        fmt::format("--dim '{}' is not NAME=VALUE with VALUE a non-negative integer", text));
  };
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) throw bad();
  const std::string value = text.substr(eq + 1);
  if (value.size() > 12 || value.find_first_not_of("0123456789") != std::string::npos) throw bad();
  return {text.substr(0, eq), std::stoll(value)};
}

RandomFeeds make_random_feeds(const std::vector<runtime::ValueInfo>& inputs,
                              const std::map<std::string, int64_t>& dims, uint64_t seed) {
  RandomFeeds out;
  std::mt19937_64 rng(seed);
  for (const runtime::ValueInfo& in : inputs) {
    try {
      out.feeds.emplace(in.name, random_value(in.name, in.type, dims, out.dims_used, rng));
    } catch (const Error& e) {
      if (e.category() != ErrorCategory::kInvalidArgument) throw;
      const std::string msg = e.what();
      throw Error(ErrorCategory::kInvalidArgument,
                  msg.find(in.name) != std::string::npos
                      ? msg
                      : fmt::format("input '{}': {}", in.name, msg));
    }
  }
  for (const auto& [name, value] : dims) {
    if (!out.dims_used.count(name)) {
      throw Error(
          ErrorCategory::kInvalidArgument,
          fmt::format("--dim {}={}: no model input has a dimension named '{}'", name, value, name));
    }
  }
  return out;
}

}  // namespace bog::conformance
