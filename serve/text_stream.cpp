#include "serve/text_stream.h"

#include <algorithm>

namespace bog::serve {
namespace {

constexpr size_t kContextTokens = 5;

// Bytes at the end of `s` that start a UTF-8 character not yet complete (0 if none), or the
// replacement character a decoder writes for one.
size_t incomplete_utf8_tail(const std::string& s) {
  if (s.size() >= 3 && s.compare(s.size() - 3, 3, "\xEF\xBF\xBD") == 0) return 3;
  for (size_t back = 1; back <= std::min<size_t>(3, s.size()); ++back) {
    const auto c = static_cast<unsigned char>(s[s.size() - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    const size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

}  // namespace

TextStream::TextStream(const model::Tokenizer& tokenizer, const std::vector<int64_t>& prompt,
                       std::vector<std::string> stop)
    : tok_(tokenizer), ids_(prompt.begin(), prompt.end()), stop_(std::move(stop)) {
  std::erase_if(stop_, [](const std::string& s) { return s.empty(); });
  read_ = ids_.size();
  prefix_ = read_ > kContextTokens ? read_ - kContextTokens : 0;
}

std::string TextStream::push(int64_t token) {
  if (stopped_) return "";
  ids_.push_back(static_cast<int32_t>(token));
  const auto at = [&](size_t from, size_t to) {
    return std::vector<int32_t>(ids_.begin() + static_cast<std::ptrdiff_t>(from),
                                ids_.begin() + static_cast<std::ptrdiff_t>(to));
  };
  const std::string before = tok_.decode(at(prefix_, read_));
  const std::string now = tok_.decode(at(prefix_, ids_.size()));
  if (now.size() <= before.size() || now.compare(0, before.size(), before) != 0 ||
      incomplete_utf8_tail(now) > 0)
    return "";  // nothing new yet (a special token, or half a character)
  text_ += now.substr(before.size());
  prefix_ = read_;
  read_ = ids_.size();
  // A stop string ends the text; a possible start of one is held back.
  size_t cut = std::string::npos;
  for (const std::string& s : stop_) cut = std::min(cut, text_.find(s));
  size_t hold = 0;
  if (cut != std::string::npos) {
    text_.resize(cut);
    stopped_ = true;
  } else {
    for (const std::string& s : stop_) {
      for (size_t k = std::min(s.size() - 1, text_.size()); k > hold; --k) {
        if (text_.compare(text_.size() - k, k, s, 0, k) == 0) {
          hold = k;
          break;
        }
      }
    }
  }
  const size_t show = text_.size() - hold;
  if (show <= shown_.size()) return "";
  std::string delta = text_.substr(shown_.size(), show - shown_.size());
  shown_ += delta;
  return delta;
}

std::string TextStream::finish() {
  if (text_.size() <= shown_.size()) return "";
  std::string rest = text_.substr(shown_.size());
  shown_ = text_;
  return rest;
}

}  // namespace bog::serve
