// ONNX Runtime GenAI's genai_config.json, the fields the decode loop uses: special token ids,
// the context length and the search defaults. Looked for beside the decoder file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "generate/sampling.h"

namespace bog::generate {

struct GenaiConfig {
  std::optional<int64_t> bos_id, pad_id;
  std::vector<int64_t> eos_ids;  // eos_token_id may be a number or a list
  int64_t context_length = 0;
  int64_t vocab_size = 0;
  int64_t max_length = 0;  // search.max_length
  SamplingOptions search;  // do_sample false: temperature 0
};

// Error(kInvalidArgument) for a file that is not such a config.
GenaiConfig read_genai_config(const std::filesystem::path& path);
// genai_config.json in the decoder's folder, or in the folder named like the decoder's stem
// (model.onnx -> model/genai_config.json); nullopt if neither exists.
std::optional<std::filesystem::path> find_genai_config(const std::filesystem::path& decoder);

}  // namespace bog::generate
