// What a decoder graph in the optimum / ONNX Runtime GenAI naming looks like to the decode loop:
//   inputs  input_ids [B, S] int64, attention_mask [B, T] int64 (optional), position_ids [B, S]
//           int64 (optional), past_key_values.{i}.key|value [B, Hkv, P, D] float32
//   outputs logits [B, S, V] float32, present.{i}.key|value [B, Hkv, T, D] float32, T = P + S
// Read from the session's input and output infos, so any exporter's graph in this naming runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "onnx_runtime/session.h"

namespace bog::generate {

struct DecoderSpec {
  int layers = 0;
  int64_t kv_heads = 0;  // from the past inputs' static dims (0: unknown until the first run)
  int64_t head_dim = 0;
  int64_t vocab = 0;  // from the logits' static last dim (0: unknown until the first run)
  bool has_attention_mask = false;
  bool has_position_ids = false;
  // Positions in the session's input_infos() / output_infos() order.
  int input_ids = -1, attention_mask = -1, position_ids = -1;
  std::vector<int> past_key, past_value;  // per layer
  int logits = -1;
  std::vector<int> present_key, present_value;  // per layer
  size_t num_inputs = 0, num_outputs = 0;
};

// Error(kInvalidModel) naming the first thing missing ("no input past_key_values.0.key").
DecoderSpec inspect_decoder(const runtime::Session& session);

// Why `session` cannot keep this decoder's KV cache in one shared buffer appended in place
// (kv_cache_state.h), or "" when it can.
std::string shared_cache_blocker(const runtime::Session& session, const DecoderSpec& spec);

}  // namespace bog::generate
