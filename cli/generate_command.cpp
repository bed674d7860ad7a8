// `bog generate`: text (or token ids) in, a continuation out, through generate::Generator over
// a Session of any decoder graph in the optimum naming. Streams text as tokens come.
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/error.h"
#include "generate/genai_config.h"
#include "generate/generator.h"
#include "model/bundle.h"
#include "onnx_export/exporter.h"

namespace bog::cli {
namespace {

struct Args {
  std::string bundle, onnx, tokenizer, prompt_ids, stop;
  std::vector<std::string> providers = {"cpu"};
  std::vector<std::string> prompts;
  int max_new_tokens = 64, top_k = 0, threads = 1;
  float temperature = 0.0f, top_p = 1.0f, repetition_penalty = 1.0f;
  uint64_t seed = 0;
  bool no_cache = false, json = false;
};

std::vector<int64_t> parse_ids(const std::string& text) {
  std::vector<int64_t> ids;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size())
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("--prompt-ids: '{}' is not a token id (give ids like 1,2,3)", item));
    ids.push_back(v);
    pos = comma + 1;
  }
  return ids;
}

void run(const Args& a) {
  if (a.bundle.empty() == a.onnx.empty())
    throw Error(ErrorCategory::kInvalidArgument, "generate: give --bundle DIR or --onnx FILE");
  if (a.prompts.empty() == a.prompt_ids.empty())
    throw Error(ErrorCategory::kInvalidArgument,
                "generate: give --prompt TEXT or --prompt-ids IDS");
  std::unique_ptr<model::Tokenizer> tok;
  generate::GenerationOptions opt;
  std::filesystem::path decoder = a.onnx;
  std::filesystem::path temp_dir;
  if (!a.bundle.empty()) {
    auto bundle = model::load_lm_bundle(a.bundle);
    tok = std::move(bundle.tokenizer);
    opt.context_length = bundle.config.max_len;
    temp_dir = std::filesystem::temp_directory_path() / fmt::format("bog-generate-{}", getpid());
    std::filesystem::create_directories(temp_dir);
    decoder = temp_dir / "lm.onnx";
    onnx_export::export_bundle(a.bundle, decoder, {});
  } else if (!a.tokenizer.empty()) {
    tok = std::make_unique<model::Tokenizer>(model::Tokenizer::load(a.tokenizer));
  }
  if (!a.prompts.empty() && !tok)
    throw Error(ErrorCategory::kInvalidArgument,
                "generate: --prompt needs a tokenizer (--bundle or --tokenizer FILE.model); "
                "--prompt-ids needs none");
  if (tok) opt.eos_ids = {tok->eos_id()};
  if (const auto cfg_path = generate::find_genai_config(decoder)) {
    const auto cfg = generate::read_genai_config(*cfg_path);
    if (!cfg.eos_ids.empty()) opt.eos_ids = cfg.eos_ids;
    if (cfg.pad_id) opt.pad_id = *cfg.pad_id;
    if (cfg.context_length > 0) opt.context_length = cfg.context_length;
    if (cfg.vocab_size > 0) opt.vocab_limit = cfg.vocab_size;
  }
  runtime::SessionOptions so;
  so.providers = a.providers;
  check_provider_names(so.providers);
  so.threads = a.threads;
  so.kv_cache = std::make_shared<runtime::KvCacheState>();
  auto session = runtime::Session::from_file(decoder, so);
  if (!temp_dir.empty()) std::filesystem::remove_all(temp_dir);
  generate::Generator gen(session);

  std::vector<std::vector<int64_t>> prompts;
  if (!a.prompt_ids.empty()) {
    prompts.push_back(parse_ids(a.prompt_ids));
  } else {
    for (const auto& p : a.prompts) {
      const auto ids = tok->encode(p, 0, true, false);
      prompts.emplace_back(ids.begin(), ids.end());
    }
  }
  opt.max_new_tokens = a.max_new_tokens;
  opt.sampling = {a.temperature, a.top_k, a.top_p, a.repetition_penalty, a.seed};
  opt.cache = a.no_cache ? generate::CacheMode::kNone : generate::CacheMode::kShared;

  // Text so far per row; row 0 streams to stdout unless --json. Each row decodes prompt and
  // continuation together: SentencePiece drops a leading space when the continuation is decoded
  // alone ("as" + "oil", not "as oil").
  std::vector<std::vector<int32_t>> ids(prompts.size());
  std::vector<std::string> prompt_text(prompts.size()), text(prompts.size());
  if (tok) {
    for (size_t i = 0; i < prompts.size(); ++i) {
      ids[i].assign(prompts[i].begin(), prompts[i].end());
      prompt_text[i] = tok->decode(ids[i]);
    }
  }
  size_t printed = 0;
  const bool stream = !a.json && tok && prompts.size() == 1;
  auto on_token = [&](size_t row, int64_t token) {
    if (!tok) return true;
    ids[row].push_back(static_cast<int32_t>(token));
    const std::string all = tok->decode(ids[row]);
    text[row] =
        all.rfind(prompt_text[row], 0) == 0
            ? all.substr(prompt_text[row].size())
            : tok->decode({ids[row].begin() + static_cast<std::ptrdiff_t>(prompts[row].size()),
                           ids[row].end()});
    bool go = true;
    if (!a.stop.empty()) {
      const size_t at = text[row].find(a.stop);
      if (at != std::string::npos) {
        text[row].resize(at);
        go = false;
      }
    }
    if (stream && row == 0 && text[0].size() > printed) {
      std::cout << text[0].substr(printed) << std::flush;
      printed = text[0].size();
    }
    return go;
  };
  if (stream) std::cout << a.prompts[0] << std::flush;
  const auto r = gen.generate(prompts, opt, on_token);
  const std::string provider_used = fmt::format("{}", fmt::join(session.placement().used, "+"));
  if (!a.json) {
    if (stream) std::cout << std::endl;  // flushed: the summary goes to stderr
    for (size_t i = 0; i < r.rows.size(); ++i) {
      if (!stream) {
        if (tok)
          fmt::print("[{}] {}{}\n", i, a.prompts[i], text[i]);
        else
          fmt::print("[{}] {}\n", i, fmt::join(r.rows[i].tokens, ","));
      }
    }
    fmt::print(stderr,
               "{} prompt tokens, {} generated ({}); prefill {:.2f} ms, decode {:.3f} ms/token "
               "p50, {:.1f} tokens/s; provider {}, cache {}{}\n",
               r.prompt_tokens, r.rows[0].tokens.size(), r.rows[0].finish_reason, r.prefill_ms,
               r.decode_ms_per_token_p50(), r.decode_tokens_per_s(), provider_used,
               generate::cache_mode_name(r.cache),
               r.cache_note.empty() ? "" : " (" + r.cache_note + ")");
    return;
  }
  auto row_json = [&](size_t i) {
    nlohmann::json j{{"tokens", r.rows[i].tokens}, {"finish_reason", r.rows[i].finish_reason}};
    j["text"] = tok ? nlohmann::json(text[i]) : nlohmann::json(nullptr);
    return j;
  };
  nlohmann::json out = row_json(0);
  out["prompt_tokens"] = r.prompt_tokens;
  out["prefill_ms"] = r.prefill_ms;
  out["decode_ms_per_token_p50"] = r.decode_ms_per_token_p50();
  out["decode_tokens_per_s"] = r.decode_tokens_per_s();
  out["provider_used"] = provider_used;
  out["cache"] = generate::cache_mode_name(r.cache);
  if (!r.cache_note.empty()) out["cache_note"] = r.cache_note;
  if (r.rows.size() > 1) {
    out["rows"] = nlohmann::json::array();
    for (size_t i = 0; i < r.rows.size(); ++i) out["rows"].push_back(row_json(i));
  }
  std::cout << out.dump() << "\n";
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("generate", "Continue a prompt with a decoder LM (KV cache)");
  auto a = std::make_shared<Args>();
  cmd->add_option("--bundle", a->bundle, "LM bundle directory (exported on the fly)");
  cmd->add_option("--onnx", a->onnx, "Decoder graph in the optimum naming");
  cmd->add_option("--tokenizer", a->tokenizer, "SentencePiece model for --onnx with --prompt");
  cmd->add_option("--prompt", a->prompts, "Prompt text (repeat for a batch)");
  cmd->add_option("--prompt-ids", a->prompt_ids, "Prompt token ids, comma-separated");
  cmd->add_option("--max-new-tokens", a->max_new_tokens, "Tokens to generate at most");
  cmd->add_option("--temperature", a->temperature, "0: greedy (default)");
  cmd->add_option("--top-k", a->top_k, "Sample from the k most likely (0: off)");
  cmd->add_option("--top-p", a->top_p, "Nucleus mass in (0, 1] (1: off)");
  cmd->add_option("--repetition-penalty", a->repetition_penalty, "> 0 (1: off)");
  cmd->add_option("--seed", a->seed, "Seed of the draw: the same seed gives the same text");
  cmd->add_option("--stop", a->stop, "Stop when the text contains this");
  cmd->add_flag("--no-cache", a->no_cache, "Recompute the whole sequence for every token");
  cmd->add_option("--provider", a->providers, "Providers in order (cpu, reference, ...)")
      ->delimiter(',');
  cmd->add_option("--threads", a->threads, "Intra-op threads");
  cmd->add_flag("--json", a->json, "Print one JSON object");
  cmd->callback([a] { run(*a); });
}

}  // namespace bog::cli
