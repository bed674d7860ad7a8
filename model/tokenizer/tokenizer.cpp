// SentencePiece wrapper: training from memory, fixed special ids, bounded encoding.
#include "model/tokenizer/tokenizer.h"

#include "model/tokenizer/spm_library.h"

#include <fmt/format.h>

#include <mutex>
#include <unordered_map>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bog::model {
namespace {

void validate(const TokenizerConfig& c) {
  if (c.model_type != "unigram" && c.model_type != "bpe") {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("tokenizer type must be 'unigram' or 'bpe', got '{}'", c.model_type));
  }
  if (c.vocab_size < 8 || c.vocab_size > 1000000) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("tokenizer vocab_size must be in [8, 1000000], got {}", c.vocab_size));
  }
  if (!(c.character_coverage > 0.0 && c.character_coverage <= 1.0)) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("character_coverage must be in (0, 1], got {}", c.character_coverage));
  }
  static const char* const kRules[] = {"nmt_nfkc", "nfkc", "nmt_nfkc_cf", "nfkc_cf", "identity"};
  bool known = false;
  for (const char* r : kRules) known = known || c.normalization == r;
  if (!known) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("unknown normalization '{}' (nmt_nfkc, nfkc, nmt_nfkc_cf, nfkc_cf, "
                            "identity)",
                            c.normalization));
  }
  if (c.input_sentence_size <= 0 || c.num_threads <= 0 || c.max_sentence_length <= 0) {
    throw Error(ErrorCategory::kInvalidArgument,
                "input_sentence_size, num_threads and max_sentence_length must be positive");
  }
}

}  // namespace

struct Tokenizer::Processor {
  void* handle = nullptr;
  ~Processor() {
    if (handle != nullptr) spm_library().destroy(handle);
  }
};

namespace {

// Calls a shim function that fills a caller buffer, growing the buffer until it fits.
template <class T, class F>
std::vector<T> fill(F&& call, const char* what) {
  std::vector<T> buf(256);
  char err[512] = {0};
  for (;;) {
    const long n = call(buf.data(), buf.size(), err, sizeof(err));
    if (n < 0) {
      throw Error(ErrorCategory::kInvalidArgument, fmt::format("tokenizer could not {}: {}", what, err));
    }
    if (static_cast<size_t>(n) <= buf.size()) {
      buf.resize(static_cast<size_t>(n));
      return buf;
    }
    buf.resize(static_cast<size_t>(n));
  }
}

}  // namespace

Tokenizer::Tokenizer() : processor_(std::make_unique<Processor>()) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::train(const std::vector<std::string>& texts, const TokenizerConfig& config,
                           const std::filesystem::path& model_out) {
  validate(config);
  bool any = false;
  for (const auto& t : texts) any = any || !t.empty();
  if (!any) throw Error(ErrorCategory::kInvalidArgument, "no non-empty texts to train a tokenizer");
  const std::unordered_map<std::string, std::string> args = {
      {"model_type", config.model_type},
      {"vocab_size", std::to_string(config.vocab_size)},
      {"character_coverage", fmt::format("{}", config.character_coverage)},
      {"normalization_rule_name", config.normalization},
      {"input_sentence_size", std::to_string(config.input_sentence_size)},
      {"shuffle_input_sentence", "true"},
      {"num_threads", std::to_string(config.num_threads)},
      {"max_sentence_length", std::to_string(config.max_sentence_length)},
      // A small corpus may not support the requested size; take what it has.
      {"hard_vocab_limit", "false"},
      {"pad_id", std::to_string(kPadId)},
      {"unk_id", std::to_string(kUnkId)},
      {"bos_id", std::to_string(kBosId)},
      {"eos_id", std::to_string(kEosId)},
      {"pad_piece", "<pad>"},
      {"unk_piece", "<unk>"},
      {"bos_piece", "<s>"},
      {"eos_piece", "</s>"},
      {"minloglevel", "2"},
  };
  std::string arg_lines;
  for (const auto& [k, v] : args) arg_lines += k + "=" + v + "\n";
  std::vector<const char*> ptrs;
  std::vector<size_t> lengths;
  for (const auto& t : texts) {
    ptrs.push_back(t.data());
    lengths.push_back(t.size());
  }
  std::string serialized;
  {
    // The seed is process-global in sentencepiece; hold a lock so concurrent trainings in one
    // process cannot interleave seeding and sampling.
    static std::mutex mutex;
    const std::lock_guard<std::mutex> lock(mutex);
    std::vector<char> out(64u << 20);  // a model is a few MB at most; -2 retries larger
    size_t needed = 0;
    char err[512] = {0};
    long n = spm_library().train(arg_lines.c_str(), ptrs.data(), lengths.data(), ptrs.size(),
                                 static_cast<unsigned>(config.seed), out.data(), out.size(),
                                 &needed, err, sizeof(err));
    if (n == -2) {
      throw Error(ErrorCategory::kInternal,
                  fmt::format("sentencepiece model of {} bytes exceeds the buffer", needed));
    }
    if (n < 0) {
      throw Error(ErrorCategory::kInvalidArgument, fmt::format("sentencepiece training failed: {}", err));
    }
    serialized.assign(out.data(), static_cast<size_t>(n));
  }
  Tokenizer tok = from_bytes(serialized, "trained tokenizer");
  write_file_atomic(model_out, serialized);
  return tok;
}

Tokenizer Tokenizer::load(const std::filesystem::path& path) {
  return from_bytes(read_file(path), path.string());
}

Tokenizer Tokenizer::from_bytes(std::string_view model_bytes, std::string_view source_name) {
  Tokenizer tok;
  char err[512] = {0};
  tok.processor_->handle = spm_library().load(model_bytes.data(), model_bytes.size(), err, sizeof(err));
  if (tok.processor_->handle == nullptr) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("'{}' is not a sentencepiece model: {}", source_name, err));
  }
  int32_t special[4];
  spm_library().special_ids(tok.processor_->handle, special);
  if (special[0] != kPadId || special[1] != kUnkId || special[2] != kBosId ||
      special[3] != kEosId) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("tokenizer '{}' has special ids pad={} unk={} bos={} eos={}, expected "
                            "0/1/2/3",
                            source_name, special[0], special[1], special[2], special[3]));
  }
  tok.model_bytes_ = std::string(model_bytes);
  return tok;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, int max_len, bool add_cls_or_bos,
                                       bool add_eos) const {
  void* h = processor_->handle;
  const std::vector<int32_t> pieces = fill<int32_t>(
      [&](int32_t* out, size_t cap, char* err, size_t errcap) {
        return spm_library().encode_ids(h, text.data(), text.size(), out, cap, err, errcap);
      },
      "encode text");
  std::vector<int32_t> ids;
  ids.reserve(pieces.size() + 2);
  if (add_cls_or_bos) ids.push_back(kBosId);
  ids.insert(ids.end(), pieces.begin(), pieces.end());
  const int specials = (add_cls_or_bos ? 1 : 0) + (add_eos ? 1 : 0);
  if (max_len > 0 && max_len < specials) {
    throw Error(
        ErrorCategory::kInvalidArgument,
        fmt::format("max_len {} cannot hold the {} special token(s) requested", max_len, specials));
  }
  if (max_len > 0) {
    const size_t keep = static_cast<size_t>(max_len) - (add_eos ? 1 : 0);
    if (ids.size() > keep) ids.resize(keep);
  }
  if (add_eos) ids.push_back(kEosId);
  return ids;
}

std::vector<std::string> Tokenizer::encode_pieces(std::string_view text) const {
  void* h = processor_->handle;
  const std::vector<char> joined = fill<char>(
      [&](char* out, size_t cap, char* err, size_t errcap) {
        return spm_library().encode_pieces(h, text.data(), text.size(), out, cap, err, errcap);
      },
      "encode text");
  std::vector<std::string> pieces;
  std::string current;
  for (const char c : joined) {
    if (c == '\0') {
      pieces.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  return pieces;
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::vector<int32_t> kept;
  for (const int32_t id : ids) {
    if (id == kPadId || id == kBosId || id == kEosId) continue;
    if (id < 0 || id >= vocab_size()) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("token id {} out of range [0, {})", id, vocab_size()));
    }
    kept.push_back(id);
  }
  void* h = processor_->handle;
  const std::vector<char> text = fill<char>(
      [&](char* out, size_t cap, char* err, size_t errcap) {
        return spm_library().decode(h, kept.data(), kept.size(), out, cap, err, errcap);
      },
      "decode ids");
  return std::string(text.begin(), text.end());
}

int Tokenizer::vocab_size() const { return spm_library().piece_size(processor_->handle); }

std::string Tokenizer::id_to_piece(int32_t id) const {
  if (id < 0 || id >= vocab_size()) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("token id {} out of range [0, {})", id, vocab_size()));
  }
  void* h = processor_->handle;
  const std::vector<char> piece = fill<char>(
      [&](char* out, size_t cap, char*, size_t) { return spm_library().id_to_piece(h, id, out, cap); },
      "look up a piece");
  return std::string(piece.begin(), piece.end());
}

}  // namespace bog::model
