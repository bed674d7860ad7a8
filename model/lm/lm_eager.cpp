#include "model/lm/lm_eager.h"

#include <fmt/format.h>

#include "common/error.h"

namespace bog::model {

LmEager::LmEager(TinyLlamaLm& model) : model_(model) { reset(); }

void LmEager::reset() {
  caches_.assign(static_cast<size_t>(model_.config().n_layers), KvCache{});
  position_ = 0;
}

Mat LmEager::prefill(std::span<const int> ids) {
  reset();
  if (ids.empty()) throw Error(ErrorCategory::kInvalidArgument, "prefill: empty prompt");
  if (static_cast<int>(ids.size()) > model_.config().max_len) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("prefill: {} tokens exceed the context length {}", ids.size(),
                            model_.config().max_len));
  }
  Mat logits = model_.forward_cached(ids, caches_);
  position_ = static_cast<int>(ids.size());
  return logits;
}

RowVec LmEager::step(int id) {
  if (position_ == 0) throw Error(ErrorCategory::kInvalidArgument, "step: call prefill first");
  if (position_ >= model_.config().max_len) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("step: position {} is past the context length {}", position_,
                            model_.config().max_len));
  }
  const int ids[1] = {id};
  Mat logits = model_.forward_cached(ids, caches_);
  ++position_;
  return logits.row(0);
}

}  // namespace bog::model
