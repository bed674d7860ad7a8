#include "generate/genai_config.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"

namespace bog::generate {

GenaiConfig read_genai_config(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCategory::kIo, fmt::format("cannot read {}", path.string()));
  GenaiConfig c;
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    const nlohmann::json& m = j.at("model");
    if (m.contains("bos_token_id")) c.bos_id = m["bos_token_id"].get<int64_t>();
    if (m.contains("pad_token_id")) c.pad_id = m["pad_token_id"].get<int64_t>();
    if (m.contains("eos_token_id")) {
      const auto& e = m["eos_token_id"];
      if (e.is_array()) {
        for (const auto& x : e) c.eos_ids.push_back(x.get<int64_t>());
      } else {
        c.eos_ids.push_back(e.get<int64_t>());
      }
    }
    c.context_length = m.value("context_length", int64_t{0});
    c.vocab_size = m.value("vocab_size", int64_t{0});
    if (j.contains("search")) {
      const auto& s = j["search"];
      c.max_length = s.value("max_length", int64_t{0});
      if (s.value("do_sample", false)) {
        c.search.temperature = s.value("temperature", 1.0f);
        c.search.top_k = s.value("top_k", 0);
        c.search.top_p = s.value("top_p", 1.0f);
      }
      c.search.repetition_penalty = s.value("repetition_penalty", 1.0f);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("{}: not a genai_config.json ({})", path.string(), e.what()));
  }
  return c;
}

std::optional<std::filesystem::path> find_genai_config(const std::filesystem::path& decoder) {
  const auto dir = decoder.parent_path();
  for (const auto& p : {dir / "genai_config.json", dir / decoder.stem() / "genai_config.json"}) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(p, ec)) return p;
  }
  return std::nullopt;
}

}  // namespace bog::generate
