// The link between a decode loop (generate/) and a session that keeps a decoder's KV cache in
// place. A decoder graph in the optimum naming computes present.{i}.key = Concat(past, new,
// axis 2); with this state in SessionOptions::kv_cache, the cpu provider turns each such Concat
// into an in-place append (bog.cpu KvAppend) when every reader of present can read a cache
// whose rows per (batch, head) are `capacity` apart (the fused Attention does).
//
// The caller then owns one buffer per past input, [batch, kv_heads, capacity, head_dim], feeds
// past_key_values.{i}.* as Tensor::borrow(..., {batch, kv_heads, past, head_dim}, buffer) — its
// shape is the logical one, its rows are `capacity` apart, so only the append reads it — and
// gets present.{i}.* back as the same buffer with past + new rows: a step copies only the new
// tokens' keys and values.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace bog::runtime {

struct KvCacheState {
  // Rows per (batch, head) in the caller's buffers; set before each generation. A run whose
  // past + new exceeds it is an Error(kInvalidArgument).
  std::atomic<int64_t> capacity{0};
  // Bytes the appends wrote (new keys and values only), summed over runs.
  std::atomic<int64_t> bytes_copied{0};
  // Filled when the session is created: the graph outputs appended in place, and for every
  // present output that is not, why (the decode loop then feeds present back as past).
  std::vector<std::string> in_place_outputs;
  std::vector<std::string> not_in_place;
};

}  // namespace bog::runtime
