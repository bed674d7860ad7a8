#include "fuzz/load_and_run.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>

#include "common/error.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/session.h"

namespace bog::fuzz {
namespace {

namespace fs = std::filesystem;
using runtime::DType;
using runtime::Tensor;
using runtime::Value;

// An empty folder: external-data references in a fuzzed model resolve against it and find
// nothing (the loader's containment checks still run).
const fs::path& empty_dir() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("bog_fuzz_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// Small values so index inputs are sometimes valid and float math stays finite.
void fill(Tensor& t, std::mt19937_64& rng) {
  const int64_t n = t.numel();
  std::uniform_int_distribution<int> small(-3, 7);
  std::uniform_real_distribution<float> real(-4.0f, 4.0f);
  auto each = [&](auto* p, auto draw) {
    for (int64_t i = 0; i < n; ++i) p[i] = draw();
  };
  switch (t.dtype()) {
    case DType::kFloat32:
      each(t.data<float>(), [&] { return real(rng); });
      break;
    case DType::kFloat64:
      each(t.data<double>(), [&] { return double{real(rng)}; });
      break;
    case DType::kInt64:
      each(t.data<int64_t>(), [&] { return int64_t{small(rng)}; });
      break;
    case DType::kInt32:
      each(t.data<int32_t>(), [&] { return int32_t{small(rng)}; });
      break;
    case DType::kInt16:
      each(t.data<int16_t>(), [&] { return static_cast<int16_t>(small(rng)); });
      break;
    case DType::kInt8:
      each(t.data<int8_t>(), [&] { return static_cast<int8_t>(small(rng)); });
      break;
    case DType::kUint8:
      each(t.data<uint8_t>(), [&] { return static_cast<uint8_t>(small(rng) + 3); });
      break;
    case DType::kBool:
      each(t.data<bool>(), [&] { return (rng() & 1) != 0; });
      break;
    case DType::kString:
      for (std::string& s : t.strings()) s = std::string(rng() % 4, 'a');
      break;
    default:
      break;  // other dtypes stay zero (a valid value in every encoding)
  }
}

// Feeds for every graph input that is not an initializer: declared fixed dims, unknown ones 1..3.
bool make_feeds(const runtime::Graph& g, uint64_t seed, std::map<std::string, Value>& feeds) {
  std::mt19937_64 rng(seed);
  for (const runtime::ValueInfo& in : g.inputs) {
    if (g.is_initializer(in.name)) continue;
    if (in.type.kind != runtime::ValueKind::kTensor || in.type.elem_type == DType::kUndefined) {
      return false;
    }
    runtime::Shape shape;
    int64_t elements = 1;
    for (const runtime::Dim& d : in.type.shape) {
      const int64_t v = d.value >= 0 ? d.value : 1 + static_cast<int64_t>(rng() % 3);
      if (v > kMaxFeedElements) return false;
      elements *= std::max<int64_t>(v, 1);
      if (elements > kMaxFeedElements) return false;
      shape.push_back(v);
    }
    Tensor t(in.type.elem_type, std::move(shape));
    fill(t, rng);
    feeds[in.name] = Value::from_tensor(std::move(t));
  }
  return true;
}

}  // namespace

Outcome load_and_run(std::string_view bytes) {
  if (bytes.size() > kMaxModelBytes) return Outcome::kTooLarge;
  std::map<std::string, Value> feeds;
  std::optional<runtime::Session> session;
  try {
    const uint64_t seed = std::hash<std::string_view>{}(bytes);
    // libonnx's checker on every other input: the loader's own checks must hold without it, and
    // skipping it half the time buys executions.
    runtime::LoadOptions load_options;
    load_options.run_checker = (seed & 1) != 0;
    runtime::Model model = runtime::load_model_from_bytes(bytes, empty_dir(), load_options);
    if (!make_feeds(model.graph, seed, feeds)) {
      return Outcome::kNotRunnable;
    }
    runtime::SessionOptions options;
    options.providers = {"reference"};
    session.emplace(std::move(model), options);
  } catch (const Error&) {
    return Outcome::kRejected;
  }
  try {
    (void)session->run(std::move(feeds));
  } catch (const Error&) {
    return Outcome::kRunFailed;
  }
  return Outcome::kRan;
}

}  // namespace bog::fuzz
