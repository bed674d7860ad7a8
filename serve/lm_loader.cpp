#include "serve/lm_loader.h"

#include <fmt/format.h>

#include <ctime>

#include "common/atomic_file.h"
#include "common/error.h"
#include "generate/genai_config.h"
#include "model/bundle.h"
#include "model/data/sha256.h"
#include "onnx_runtime/precision.h"
#include "serve/chat_template.h"

namespace bog::serve {

LmParts read_lm_bundle(const std::filesystem::path& dir) {
  model::LoadedLmBundle b = model::load_lm_bundle(dir);
  LmParts p;
  p.info.model_id = std::filesystem::absolute(dir).lexically_normal().filename().string();
  if (p.info.model_id.empty())
    p.info.model_id =
        std::filesystem::absolute(dir).lexically_normal().parent_path().filename().string();
  p.info.architecture = b.manifest.value("architecture", std::string("tiny_llama_lm"));
  p.info.context_length = b.config.max_len;
  p.info.num_params = b.manifest.value("num_params", int64_t{0});
  p.info.vocab = b.config.vocab_size;
  p.info.bundle_sha256 = model::sha256_file_hex(dir / "manifest.json");
  p.info.chat_template = b.manifest.value("chat_template", std::string("plain"));
  check_chat_template(p.info.chat_template);
  p.tokenizer = std::move(b.tokenizer);
  return p;
}

std::unique_ptr<GenerationService> load_generation_service(const ServingConfig& c,
                                                           const std::filesystem::path& decoder,
                                                           LmParts parts,
                                                           std::function<void()> before_step) {
  LmInfo info = std::move(parts.info);
  if (!parts.tokenizer)
    throw Error(ErrorCategory::kInvalidArgument, "serve: generation needs a tokenizer");
  if (info.model_id.empty()) info.model_id = decoder.stem().string();
  if (info.architecture.empty()) info.architecture = "decoder";
  info.eos_ids = {parts.tokenizer->eos_id()};
  info.pad_id = parts.tokenizer->pad_id();
  if (const auto cfg_path = generate::find_genai_config(decoder)) {
    const auto cfg = generate::read_genai_config(*cfg_path);
    if (!cfg.eos_ids.empty()) info.eos_ids = cfg.eos_ids;
    if (cfg.pad_id) info.pad_id = *cfg.pad_id;
    if (cfg.context_length > 0) info.context_length = cfg.context_length;
    if (cfg.vocab_size > 0) info.vocab = cfg.vocab_size;
  }
  if (info.context_length < 2)
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("serve: the context length of {} is unknown (give an LM bundle, or "
                            "put a genai_config.json with context_length beside it)",
                            decoder.string()));
  if (info.vocab <= 0) info.vocab = parts.tokenizer->vocab_size();
  info.onnx_sha256 = model::sha256_hex(read_file(decoder));
  runtime::SessionOptions so;
  so.providers = {c.provider};
  if (c.provider != "reference") so.providers.push_back("reference");
  so.threads = c.threads;
  so.precision = runtime::parse_precision(c.precision);
  so.kv_cache = std::make_shared<runtime::KvCacheState>();
  auto session = std::make_unique<runtime::Session>(runtime::Session::from_file(decoder, so));
  info.provider_requested = c.provider;
  info.providers_used = session->placement().used;
  info.created = static_cast<int64_t>(std::time(nullptr));
  GenerationLimits limits;
  limits.batching = c.batching;
  limits.max_active = c.generation_max_active;
  limits.max_queued = c.generation_max_queued;
  limits.max_tokens = c.generation_max_tokens;
  limits.timeout_ms = c.generation_timeout_ms;
  limits.prefill_chunk = c.generation_prefill_chunk;
  limits.retry_after_s = c.retry_after_s;
  return std::make_unique<GenerationService>(std::move(session), std::move(parts.tokenizer),
                                             std::move(info), limits, std::move(before_step));
}

}  // namespace bog::serve
