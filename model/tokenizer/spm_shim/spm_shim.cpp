// The SentencePiece shim module (see spm_shim.h for why it exists).
#include "model/tokenizer/spm_shim/spm_shim.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstring>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

void set_err(char* err, size_t cap, const std::string& msg) {
  if (err == nullptr || cap == 0) return;
  const size_t n = std::min(cap - 1, msg.size());
  std::memcpy(err, msg.data(), n);
  err[n] = '\0';
}

long copy_out(const std::string& s, char* out, size_t cap) {
  if (s.size() <= cap && out != nullptr) std::memcpy(out, s.data(), s.size());
  return static_cast<long>(s.size());
}

class VectorIterator : public sentencepiece::SentenceIterator {
 public:
  VectorIterator(const char* const* texts, const size_t* lengths, size_t n)
      : texts_(texts), lengths_(lengths), n_(n) {
    skip_empty();
  }
  bool done() const override { return index_ >= n_; }
  void Next() override {
    ++index_;
    skip_empty();
  }
  const std::string& value() const override {
    current_.assign(texts_[index_], lengths_[index_]);
    return current_;
  }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  void skip_empty() {
    while (index_ < n_ && lengths_[index_] == 0) ++index_;
  }
  const char* const* texts_;
  const size_t* lengths_;
  size_t n_;
  size_t index_ = 0;
  mutable std::string current_;
};

}  // namespace

extern "C" {

void* bog_spm_load(const char* bytes, size_t n, char* err, size_t errcap) {
  try {
    auto* p = new sentencepiece::SentencePieceProcessor();
    const auto st = p->LoadFromSerializedProto(std::string_view(bytes, n));
    if (!st.ok()) {
      set_err(err, errcap, st.ToString());
      delete p;
      return nullptr;
    }
    return p;
  } catch (const std::exception& e) {
    set_err(err, errcap, e.what());
    return nullptr;
  }
}

void bog_spm_destroy(void* handle) { delete static_cast<sentencepiece::SentencePieceProcessor*>(handle); }

int bog_spm_special_ids(void* handle, int32_t out[4]) {
  const auto* p = static_cast<sentencepiece::SentencePieceProcessor*>(handle);
  out[0] = p->pad_id();
  out[1] = p->unk_id();
  out[2] = p->bos_id();
  out[3] = p->eos_id();
  return 0;
}

int bog_spm_piece_size(void* handle) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->GetPieceSize();
}

long bog_spm_encode_ids(void* handle, const char* text, size_t n, int32_t* out, size_t cap,
                        char* err, size_t errcap) {
  try {
    std::vector<int> ids;
    const auto st = static_cast<sentencepiece::SentencePieceProcessor*>(handle)->Encode(
        std::string_view(text, n), &ids);
    if (!st.ok()) {
      set_err(err, errcap, st.ToString());
      return -1;
    }
    if (ids.size() <= cap) {
      for (size_t i = 0; i < ids.size(); ++i) out[i] = ids[i];
    }
    return static_cast<long>(ids.size());
  } catch (const std::exception& e) {
    set_err(err, errcap, e.what());
    return -1;
  }
}

long bog_spm_encode_pieces(void* handle, const char* text, size_t n, char* out, size_t cap,
                           char* err, size_t errcap) {
  try {
    std::vector<std::string> pieces;
    const auto st = static_cast<sentencepiece::SentencePieceProcessor*>(handle)->Encode(
        std::string_view(text, n), &pieces);
    if (!st.ok()) {
      set_err(err, errcap, st.ToString());
      return -1;
    }
    std::string joined;
    for (const auto& p : pieces) {
      joined += p;
      joined.push_back('\0');
    }
    return copy_out(joined, out, cap);
  } catch (const std::exception& e) {
    set_err(err, errcap, e.what());
    return -1;
  }
}

long bog_spm_decode(void* handle, const int32_t* ids, size_t n, char* out, size_t cap, char* err,
                    size_t errcap) {
  try {
    const std::vector<int> v(ids, ids + n);
    std::string text;
    const auto st = static_cast<sentencepiece::SentencePieceProcessor*>(handle)->Decode(v, &text);
    if (!st.ok()) {
      set_err(err, errcap, st.ToString());
      return -1;
    }
    return copy_out(text, out, cap);
  } catch (const std::exception& e) {
    set_err(err, errcap, e.what());
    return -1;
  }
}

long bog_spm_id_to_piece(void* handle, int32_t id, char* out, size_t cap) {
  return copy_out(static_cast<sentencepiece::SentencePieceProcessor*>(handle)->IdToPiece(id), out,
                  cap);
}

long bog_spm_train(const char* args, const char* const* texts, const size_t* lengths, size_t n,
                   unsigned seed, char* out, size_t cap, size_t* needed, char* err,
                   size_t errcap) {
  try {
    std::unordered_map<std::string, std::string> kv;
    std::istringstream in(args);
    std::string line;
    while (std::getline(in, line)) {
      const size_t eq = line.find('=');
      if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
    }
    sentencepiece::SetRandomGeneratorSeed(seed);
    VectorIterator it(texts, lengths, n);
    std::string serialized;
    const auto st = sentencepiece::SentencePieceTrainer::Train(kv, &it, &serialized);
    if (!st.ok()) {
      set_err(err, errcap, st.ToString());
      return -1;
    }
    *needed = serialized.size();
    if (serialized.size() > cap) return -2;
    std::memcpy(out, serialized.data(), serialized.size());
    return static_cast<long>(serialized.size());
  } catch (const std::exception& e) {
    set_err(err, errcap, e.what());
    return -1;
  }
}

}  // extern "C"
