// The eager (Eigen) reference for decoding one sequence with a KV cache: prefill the prompt,
// then one token per step. Its logits are what exported decoder graphs are compared against.
//
//   LmEager lm(model);
//   Mat prompt_logits = lm.prefill(ids);   // [ids.size(), vocab]
//   RowVec next = lm.step(token);          // [1, vocab] for the token after `token`
#pragma once

#include <span>
#include <vector>

#include "model/lm/tiny_llama_lm.h"

namespace bog::model {

class LmEager {
 public:
  // `model` must outlive this; decoding overwrites the model's training caches.
  explicit LmEager(TinyLlamaLm& model);

  // Forgets the cache, then runs the prompt (non-empty): logits for each prompt position.
  [[nodiscard]] Mat prefill(std::span<const int> ids);
  // Appends one token (after prefill); returns the logits of the position after it.
  [[nodiscard]] RowVec step(int id);
  // Tokens in the cache; a prefill or step past the context (max_len) throws
  // Error(kInvalidArgument), as does step() before prefill() or an id outside the vocabulary.
  [[nodiscard]] int position() const { return position_; }
  void reset();

 private:
  TinyLlamaLm& model_;
  std::vector<KvCache> caches_;
  int position_ = 0;
};

}  // namespace bog::model
