// Feeds for timing or inspecting any model, ours or foreign: token ids within the model's
// vocabulary for inputs named like input_ids, a full mask for inputs named like
// attention_mask, and small random values of the declared type for anything else.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "onnx_runtime/graph.h"
#include "onnx_runtime/tensor.h"

namespace bog::bench {

// Rows of the embedding table that a fed integer input indexes (a Gather whose data is an
// initializer and whose indices are that input, directly or through a Cast); 0 when the
// graph has no such Gather.
[[nodiscard]] int64_t embedding_vocab(const runtime::Model& model);

struct FeedShape {
  int batch = 1;
  int seq = 1;
  int64_t vocab = 64;        // token ids are drawn from [min(4, vocab - 1), vocab)
  bool prepend_cls = false;  // the first token is the tokenizer's CLS/BOS id
};

// One tensor per input, shaped from its declared shape: a symbolic first dim is the batch,
// any other symbolic or unknown dim the sequence. Deterministic (no seed: the same cell gets
// the same feeds every time). Error(kInvalidArgument) for an input without a declared tensor
// type and shape.
[[nodiscard]] std::map<std::string, runtime::Tensor> make_model_feeds(
    const std::vector<runtime::ValueInfo>& inputs, const FeedShape& shape);

}  // namespace bog::bench
