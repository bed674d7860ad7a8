// SentencePiece tokenizer (unigram or BPE) with fixed special ids: pad=0, unk=1, bos/cls=2,
// eos=3. Trained from in-memory texts; the model bytes travel inside a bundle.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>


namespace bog::model {

struct TokenizerConfig {
  std::string model_type = "unigram";  // "unigram" or "bpe"
  int vocab_size = 8000;
  double character_coverage = 0.9995;
  // SentencePiece normalisation rule: "nmt_nfkc", "nfkc", "nmt_nfkc_cf" (case folding),
  // "nfkc_cf" or "identity".
  std::string normalization = "nmt_nfkc";
  // At most this many training texts are sampled: 25k of AG News trains an 8k unigram
  // vocabulary in ~30 s on 2 busy cores (all 49k rows took ~85 s).
  int64_t input_sentence_size = 25000;
  int num_threads = 2;
  uint64_t seed = 1;               // sentencepiece's sampling seed: training is reproducible
  int max_sentence_length = 8192;  // bytes; longer texts are skipped by sentencepiece
};

class Tokenizer {
 public:
  static constexpr int32_t kPadId = 0;
  static constexpr int32_t kUnkId = 1;
  static constexpr int32_t kBosId = 2;  // also the CLS token of encoder models
  static constexpr int32_t kEosId = 3;

  // Trains, writes the model atomically to `model_out` and returns the loaded tokenizer.
  // Error(kInvalidArgument) for a bad config or no texts; Error(kIo) when writing fails.
  static Tokenizer train(const std::vector<std::string>& texts, const TokenizerConfig& config,
                         const std::filesystem::path& model_out);
  // Error(kIo) when unreadable, Error(kInvalidModel) when not a sentencepiece model or when
  // its special ids differ from the fixed ones above.
  static Tokenizer load(const std::filesystem::path& path);
  static Tokenizer from_bytes(std::string_view model_bytes, std::string_view source_name);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Pieces' ids, truncated so that the result (special tokens included) has at most max_len
  // ids (max_len <= 0: no limit). With add_eos the EOS stays last even after truncation;
  // Error(kInvalidArgument) when max_len > 0 is smaller than the special tokens requested.
  // No padding is added.
  [[nodiscard]] std::vector<int32_t> encode(std::string_view text, int max_len, bool add_cls_or_bos,
                                            bool add_eos) const;
  [[nodiscard]] std::vector<std::string> encode_pieces(std::string_view text) const;
  // Special ids are skipped.
  [[nodiscard]] std::string decode(const std::vector<int32_t>& ids) const;

  [[nodiscard]] int vocab_size() const;
  [[nodiscard]] int32_t pad_id() const { return kPadId; }
  [[nodiscard]] int32_t unk_id() const { return kUnkId; }
  [[nodiscard]] int32_t bos_id() const { return kBosId; }
  [[nodiscard]] int32_t cls_id() const { return kBosId; }
  [[nodiscard]] int32_t eos_id() const { return kEosId; }
  [[nodiscard]] std::string id_to_piece(int32_t id) const;

  // The serialized sentencepiece ModelProto: what goes into a bundle's tokenizer.model.
  [[nodiscard]] const std::string& model_bytes() const { return model_bytes_; }

 private:
  Tokenizer();
  struct Processor;  // a sentencepiece processor living in the shim's namespace
  std::unique_ptr<Processor> processor_;
  std::string model_bytes_;
};

}  // namespace bog::model
