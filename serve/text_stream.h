// Generated token ids to text as they come, for streaming: each token's text is the decode of a
// few tokens before it plus itself, minus the decode of those few (so SentencePiece's word
// boundaries come out as they do in the whole text), held back while it ends in an incomplete
// UTF-8 character or could be the start of a stop string. The non-streamed answer is the same
// deltas joined, so both say the same text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/tokenizer/tokenizer.h"

namespace bog::serve {

class TextStream {
 public:
  // The tokenizer must outlive the stream. `stop`: strings that end the text (not included).
  TextStream(const model::Tokenizer& tokenizer, const std::vector<int64_t>& prompt,
             std::vector<std::string> stop);
  // Adds a generated token; returns the text that may be shown now (often "", never text
  // after a stop string). stopped() turns true when a stop string appears.
  std::string push(int64_t token);
  // At the end: the text held back for a possible stop string that did not come.
  std::string finish();
  [[nodiscard]] bool stopped() const { return stopped_; }
  [[nodiscard]] const std::string& shown() const { return shown_; }

 private:
  const model::Tokenizer& tok_;
  std::vector<int32_t> ids_;
  size_t prefix_ = 0, read_ = 0;  // ids_[prefix_, read_) is the context of the next decode
  std::vector<std::string> stop_;
  std::string text_;   // decoded so far (up to a stop string)
  std::string shown_;  // returned so far
  bool stopped_ = false;
};

}  // namespace bog::serve
