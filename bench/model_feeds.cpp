#include "bench/model_feeds.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <random>
#include <set>

#include "common/error.h"
#include "model/tokenizer/tokenizer.h"

namespace bog::bench {
namespace {

using runtime::DType;
using runtime::Tensor;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_mask_name(const std::string& name) { return lower(name).find("mask") != std::string::npos; }

bool is_token_name(const std::string& name) {
  const std::string n = lower(name);
  return n.find("input_ids") != std::string::npos || n == "ids" || n == "tokens" ||
         n == "token_ids";
}

bool is_integer(DType t) {
  return t == DType::kInt64 || t == DType::kInt32 || t == DType::kInt16 || t == DType::kInt8 ||
         t == DType::kUint8 || t == DType::kUint16 || t == DType::kUint32 || t == DType::kUint64;
}

template <class T>
void fill(Tensor& t, const std::function<double(int64_t)>& value) {
  T* p = t.data<T>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(value(i));
}

void fill_any(Tensor& t, const std::function<double(int64_t)>& value) {
  switch (t.dtype()) {
    case DType::kFloat32: fill<float>(t, value); return;
    case DType::kFloat64: fill<double>(t, value); return;
    case DType::kInt64: fill<int64_t>(t, value); return;
    case DType::kInt32: fill<int32_t>(t, value); return;
    case DType::kInt16: fill<int16_t>(t, value); return;
    case DType::kInt8: fill<int8_t>(t, value); return;
    case DType::kUint8: fill<uint8_t>(t, value); return;
    case DType::kUint16: fill<uint16_t>(t, value); return;
    case DType::kUint32: fill<uint32_t>(t, value); return;
    case DType::kUint64: fill<uint64_t>(t, value); return;
    case DType::kBool: fill<bool>(t, [&value](int64_t i) { return value(i) != 0 ? 1.0 : 0.0; }); return;
    default:
      throw Error(ErrorCategory::kUnsupported,
                  fmt::format("no generated feeds for element type {}", runtime::dtype_name(t.dtype())));
  }
}

}  // namespace

int64_t embedding_vocab(const runtime::Model& model) {
  const runtime::Graph& g = model.graph;
  std::set<std::string> fed;  // integer graph inputs, and Casts of them
  for (const runtime::ValueInfo& v : g.inputs) {
    if (!g.is_initializer(v.name)) fed.insert(v.name);
  }
  for (const runtime::Node& n : g.nodes) {
    if (n.op_type == "Cast" && !n.inputs.empty() && fed.count(n.inputs[0]) && !n.outputs.empty()) {
      fed.insert(n.outputs[0]);
    }
  }
  int64_t vocab = 0;
  for (const runtime::Node& n : g.nodes) {
    if (n.op_type != "Gather" || n.inputs.size() < 2 || !fed.count(n.inputs[1])) continue;
    const auto it = g.initializers.find(n.inputs[0]);
    if (it == g.initializers.end() || it->second.rank() < 1) continue;
    vocab = std::max(vocab, it->second.dim(0));
  }
  return vocab;
}

std::map<std::string, Tensor> make_model_feeds(const std::vector<runtime::ValueInfo>& inputs,
                                               const FeedShape& s) {
  std::map<std::string, Tensor> feeds;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const runtime::ValueInfo& v = inputs[k];
    if (v.type.kind != runtime::ValueKind::kTensor || !v.type.has_shape ||
        v.type.elem_type == DType::kUndefined) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("input '{}' declares no tensor type and shape to build feeds from", v.name));
    }
    runtime::Shape shape;
    for (size_t d = 0; d < v.type.shape.size(); ++d) {
      const runtime::Dim& dim = v.type.shape[d];
      shape.push_back(dim.value >= 0 ? dim.value : (d == 0 ? s.batch : s.seq));
    }
    Tensor t(v.type.elem_type, shape);
    const int64_t last = shape.empty() ? 1 : std::max<int64_t>(1, shape.back());
    if (is_mask_name(v.name)) {
      fill_any(t, [](int64_t) { return 1.0; });
    } else if (is_token_name(v.name) && is_integer(v.type.elem_type)) {
      const int64_t vocab = std::max<int64_t>(1, s.vocab);
      const int64_t low = std::min<int64_t>(4, vocab - 1);
      const int64_t span = std::max<int64_t>(1, vocab - low);
      fill_any(t, [&](int64_t i) {
        const int64_t b = i / last, pos = i % last;
        if (pos == 0 && s.prepend_cls) return static_cast<double>(model::Tokenizer::kBosId);
        return static_cast<double>(low + (b * 131 + pos * 17 + 7) % span);
      });
    } else {
      std::mt19937_64 rng(1000 + k);
      std::uniform_real_distribution<double> unit(-1.0, 1.0);
      std::uniform_int_distribution<int> small(0, 3);
      const bool integer = is_integer(v.type.elem_type) || v.type.elem_type == DType::kBool;
      fill_any(t, [&](int64_t) { return integer ? small(rng) : unit(rng); });
    }
    feeds.emplace(v.name, std::move(t));
  }
  return feeds;
}

}  // namespace bog::bench
