#include "generate/decoder_spec.h"

#include <fmt/format.h>

#include "common/error.h"

namespace bog::generate {
namespace {

int find(const std::vector<runtime::ValueInfo>& infos, const std::string& name) {
  for (size_t i = 0; i < infos.size(); ++i) {
    if (infos[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

[[noreturn]] void missing(const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("not a decoder in the optimum naming: no {}", what));
}

int64_t static_dim(const runtime::ValueInfo& info, size_t axis) {
  if (!info.type.has_shape || info.type.shape.size() <= axis) return 0;
  return std::max<int64_t>(info.type.shape[axis].value, 0);
}

void check_type(const runtime::ValueInfo& info, runtime::DType want, size_t rank) {
  if (info.type.kind != runtime::ValueKind::kTensor ||
      (info.type.elem_type != runtime::DType::kUndefined && info.type.elem_type != want) ||
      (info.type.has_shape && info.type.shape.size() != rank)) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("decoder {} must be a {}-D {} tensor", info.name, rank,
                            runtime::dtype_name(want)));
  }
}

}  // namespace

DecoderSpec inspect_decoder(const runtime::Session& session) {
  const auto ins = session.input_infos();
  const auto outs = session.output_infos();
  DecoderSpec s;
  s.num_inputs = ins.size();
  s.num_outputs = outs.size();
  s.input_ids = find(ins, "input_ids");
  if (s.input_ids < 0) missing("input input_ids");
  check_type(ins[static_cast<size_t>(s.input_ids)], runtime::DType::kInt64, 2);
  s.attention_mask = find(ins, "attention_mask");
  s.has_attention_mask = s.attention_mask >= 0;
  if (s.has_attention_mask)
    check_type(ins[static_cast<size_t>(s.attention_mask)], runtime::DType::kInt64, 2);
  s.position_ids = find(ins, "position_ids");
  s.has_position_ids = s.position_ids >= 0;
  if (s.has_position_ids)
    check_type(ins[static_cast<size_t>(s.position_ids)], runtime::DType::kInt64, 2);
  for (int i = 0;; ++i) {
    const std::string pk = fmt::format("past_key_values.{}.key", i);
    const std::string pv = fmt::format("past_key_values.{}.value", i);
    const int k = find(ins, pk);
    if (k < 0) {
      if (i == 0) missing("input " + pk);
      if (find(ins, pv) >= 0) missing("input " + pk);
      break;
    }
    const int v = find(ins, pv);
    if (v < 0) missing("input " + pv);
    const int ok = find(outs, fmt::format("present.{}.key", i));
    if (ok < 0) missing(fmt::format("output present.{}.key", i));
    const int ov = find(outs, fmt::format("present.{}.value", i));
    if (ov < 0) missing(fmt::format("output present.{}.value", i));
    for (const int idx : {k, v})
      check_type(ins[static_cast<size_t>(idx)], runtime::DType::kFloat32, 4);
    s.past_key.push_back(k);
    s.past_value.push_back(v);
    s.present_key.push_back(ok);
    s.present_value.push_back(ov);
    if (i == 0) {
      s.kv_heads = static_dim(ins[static_cast<size_t>(k)], 1);
      s.head_dim = static_dim(ins[static_cast<size_t>(k)], 3);
    }
    s.layers = i + 1;
  }
  s.logits = find(outs, "logits");
  if (s.logits < 0) missing("output logits");
  check_type(outs[static_cast<size_t>(s.logits)], runtime::DType::kFloat32, 3);
  s.vocab = static_dim(outs[static_cast<size_t>(s.logits)], 2);
  // Any other input would be fed with nothing: say which.
  for (size_t i = 0; i < ins.size(); ++i) {
    const auto n = static_cast<int>(i);
    bool known = n == s.input_ids || n == s.attention_mask || n == s.position_ids;
    for (int l = 0; l < s.layers && !known; ++l)
      known = n == s.past_key[static_cast<size_t>(l)] || n == s.past_value[static_cast<size_t>(l)];
    if (!known)
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("decoder has an input the decode loop cannot feed: {}", ins[i].name));
  }
  return s;
}

std::string shared_cache_blocker(const runtime::Session& session, const DecoderSpec& spec) {
  const runtime::KvCacheState* kv = session.kv_cache_state();
  if (kv == nullptr) return "the session was not made for a shared KV cache";
  if (!kv->not_in_place.empty()) return kv->not_in_place.front();
  if (static_cast<int>(kv->in_place_outputs.size()) != 2 * spec.layers)
    return "not every present output is appended in place";
  if (spec.kv_heads <= 0 || spec.head_dim <= 0)
    return "the past inputs do not declare kv_heads and head_dim";
  return "";
}

}  // namespace bog::generate
