#include "parity/generate_parity.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>

#include "common/atomic_file.h"
#include "common/error.h"
#include "generate/generator.h"
#include "model/bundle.h"
#include "model/data/ag_news.h"
#include "model/data/sha256.h"
#include "model/lm/lm_eager.h"
#include "onnx_runtime/loader.h"
#include "onnx_runtime/session.h"
#include "parity/ort_runner.h"

namespace bog::parity {
namespace fs = std::filesystem;

namespace {

using Prompts = std::vector<std::vector<int64_t>>;

}  // namespace

void validate(const GenerateParityRequest& r) {
  auto bad = [](const std::string& m) { throw Error(ErrorCategory::kInvalidArgument, m); };
  if (r.prompts < 1) bad(fmt::format("--prompts must be >= 1 (got {})", r.prompts));
  if (r.prompt_len < 1) bad(fmt::format("--prompt-len must be >= 1 (got {})", r.prompt_len));
  if (r.new_tokens < 1) bad(fmt::format("--new-tokens must be >= 1 (got {})", r.new_tokens));
  if (r.providers.empty()) bad("--providers is empty");
  for (const std::string& p : r.providers) {
    if (p != "reference" && p != "cpu" && p != "cuda" && p != "ort")
      bad(fmt::format("--providers: unknown provider '{}' (reference, cpu, cuda, ort)", p));
    if (std::count(r.providers.begin(), r.providers.end(), p) > 1)
      bad(fmt::format("--providers: '{}' is listed twice", p));
  }
  const std::string arch = model::bundle_architecture(r.bundle);
  if (arch != "tiny_llama_lm")
    bad(
        fmt::format("bundle {} holds a {} model, not a decoder LM (tiny_llama_lm): parity "
                    "--generate needs an LM bundle",
                    r.bundle.string(), arch));
  const int context = model::load_lm_bundle(r.bundle).config.max_len;
  if (r.prompt_len + r.new_tokens > context)
    bad(fmt::format("--prompt-len {} + --new-tokens {} exceed the context of {} tokens",
                    r.prompt_len, r.new_tokens, context));
  std::error_code ec;
  if (!fs::is_regular_file(r.data / "test.csv", ec))
    throw Error(ErrorCategory::kIo,
                fmt::format("no test.csv in the data directory '{}'", r.data.string()));
}

namespace {

// The ONNX file must be this bundle's export: its metadata names the bundle's manifest hash.
std::string check_artifact(const GenerateParityRequest& r) {
  std::error_code ec;
  if (!fs::is_regular_file(r.onnx, ec))
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("ONNX file {} not found", r.onnx.string()));
  const std::string want = model::sha256_file_hex(r.bundle / "manifest.json");
  std::string got;
  for (const auto& [k, v] : runtime::load_model(r.onnx).metadata) {
    if (k == "bundle_sha256") got = v;
  }
  if (got != want)
    throw Error(ErrorCategory::kInvalidArgument,
                got.empty() ? fmt::format("{} names no bundle (no bundle_sha256 in its metadata): "
                                          "it is not an export of {}",
                                          r.onnx.filename().string(), r.bundle.string())
                            : fmt::format("{} was exported from bundle {}…, not from {} ({}…)",
                                          r.onnx.filename().string(), got.substr(0, 12),
                                          r.bundle.string(), want.substr(0, 12)));
  return got;
}

// The first rows of test.csv (title + description) with at least prompt_len tokens, BOS
// first, cut to prompt_len: every prompt has the same length, so no row is padded anywhere.
Prompts load_prompts(const GenerateParityRequest& r, const model::Tokenizer& tok,
                     std::string& description) {
  const std::vector<model::Example> rows = model::read_ag_news_csv(r.data / "test.csv");
  Prompts out;
  size_t used = 0;
  for (; used < rows.size() && static_cast<int>(out.size()) < r.prompts; ++used) {
    const std::vector<int32_t> ids = tok.encode(rows[used].text(), r.prompt_len, true, false);
    if (static_cast<int>(ids.size()) == r.prompt_len) out.emplace_back(ids.begin(), ids.end());
  }
  if (static_cast<int>(out.size()) < r.prompts)
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("test.csv has {} rows of at least {} tokens; --prompts asks for {}",
                            out.size(), r.prompt_len, r.prompts));
  description = fmt::format(
      "ag_news test.csv: the first {} rows of at least {} tokens (of the first {} rows), title + "
      "description, BOS first",
      out.size(), r.prompt_len, used);
  return out;
}

int64_t first_argmax(const float* row, int64_t n) { return std::max_element(row, row + n) - row; }

std::vector<EagerGeneration> run_eager(model::TinyLlamaLm& lm, const Prompts& prompts,
                                       int new_tokens) {
  std::vector<EagerGeneration> out(prompts.size());
  model::LmEager eager(lm);
  for (size_t p = 0; p < prompts.size(); ++p) {
    EagerGeneration& e = out[p];
    const std::vector<int> ids(prompts[p].begin(), prompts[p].end());
    e.prefill = eager.prefill(ids);
    const int64_t vocab = e.prefill.cols();
    e.decode.resize(new_tokens - 1, vocab);
    e.tokens.push_back(first_argmax(e.prefill.data() + (e.prefill.rows() - 1) * vocab, vocab));
    for (int k = 1; k < new_tokens; ++k) {
      e.decode.row(k - 1) = eager.step(static_cast<int>(e.tokens.back()));
      e.tokens.push_back(first_argmax(e.decode.data() + (k - 1) * vocab, vocab));
    }
  }
  return out;
}

// generate::Generator on one interpreter provider (falling back to reference for what it does
// not claim), greedy, the KV cache shared by past and present where the session can.
GenerationParity run_interpreter(const GenerateParityRequest& r, const std::string& provider,
                                 const Prompts& prompts, int context,
                                 const std::vector<EagerGeneration>& eager, const Tolerance& tol,
                                 ProviderParity& row, std::string& cache) {
  runtime::SessionOptions o;
  o.providers = {provider};
  if (provider != "reference") o.providers.push_back("reference");
  o.threads = r.threads;
  o.kv_cache = std::make_shared<runtime::KvCacheState>();
  runtime::Session session(runtime::load_model(r.onnx), o);
  row.provider_used = fmt::format("{}", fmt::join(session.placement().used, "+"));
  row.fallback_reasons = session.placement().fallback_reasons();
  generate::Generator gen(session);
  generate::GenerationOptions g;
  g.max_new_tokens = r.new_tokens;  // no EOS: every prompt gets exactly new_tokens
  g.pad_id = model::Tokenizer::kPadId;
  g.context_length = context;
  g.cache = generate::CacheMode::kShared;
  StepComparer cmp(eager, tol);
  std::vector<int> steps(prompts.size(), 0);
  const generate::GenerationResult res = gen.generate(
      prompts, g,
      [&](size_t p, int64_t id) {
        cmp.token(p, steps[p]++, id);
        return true;
      },
      [&](int step, const runtime::Tensor& logits) {
        cmp.logits(step, logits.span<float>(), logits.dim(1), logits.dim(2));
      });
  cache = generate::cache_mode_name(res.cache);
  return cmp.finish();
}

// A scratch folder for ONNX Runtime's logits file, removed on scope exit.
struct Scratch {
  fs::path path;
  Scratch() {
    std::string templ = (fs::temp_directory_path() / "bog-genparity-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr)
      throw Error(ErrorCategory::kIo, "cannot create a temporary folder for ONNX Runtime logits");
    path = templ;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// ONNX Runtime's own loop (present fed back as past); its logits come back through a file.
GenerationParity run_ort(const OrtRunner& ort, const GenerateParityRequest& r,
                         const Prompts& prompts, const std::vector<EagerGeneration>& eager,
                         const Tolerance& tol, ProviderParity& row) {
  const Scratch scratch;
  OrtGenerateOptions o;
  o.new_tokens = r.new_tokens;
  o.threads = r.threads;
  o.allow_spinning = false;
  o.pad_id = model::Tokenizer::kPadId;
  o.logits_file = scratch.path / "logits.f32";
  const OrtGenerateResult g = ort.generate(r.onnx, prompts, o);
  row.provider_used = "ort:" + g.provider;
  if (static_cast<int>(g.logits_dims.size()) != r.new_tokens)
    throw Error(ErrorCategory::kInternal,
                fmt::format("ONNX Runtime wrote the logits of {} steps; expected {}",
                            g.logits_dims.size(), r.new_tokens));
  std::ifstream in(o.logits_file, std::ios::binary);
  StepComparer cmp(eager, tol);
  std::vector<float> buf;
  for (int step = 0; step < r.new_tokens; ++step) {
    const std::vector<int64_t>& d = g.logits_dims[static_cast<size_t>(step)];
    if (d.size() != 3 || d[0] != static_cast<int64_t>(prompts.size()))
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("ONNX Runtime's logits of step {} are not [{}, seq, vocab]", step,
                              prompts.size()));
    buf.resize(static_cast<size_t>(d[0] * d[1] * d[2]));
    if (!in.read(reinterpret_cast<char*>(buf.data()),
                 static_cast<std::streamsize>(buf.size() * sizeof(float))))
      throw Error(ErrorCategory::kIo, "ONNX Runtime's logits file is shorter than its steps");
    cmp.logits(step, buf, d[1], d[2]);
    for (size_t p = 0; p < prompts.size(); ++p) cmp.token(p, step, g.tokens[p].at(step));
  }
  return cmp.finish();
}

}  // namespace

GenerateParityReport run_generate_parity(const GenerateParityRequest& req) {
  auto say = [&req](const std::string& s) {
    if (req.progress) req.progress(s);
  };
  validate(req);
  const std::string bundle_sha = check_artifact(req);
  model::LoadedLmBundle bundle = model::load_lm_bundle(req.bundle);
  const int context = bundle.config.max_len;

  GenerateParityReport report;
  ParityReport& pr = report.parity;
  pr.artifact = req.onnx.filename().string();
  pr.artifact_sha256 = model::sha256_file_hex(req.onnx);
  pr.bundle_sha256 = bundle_sha;
  pr.reference = "eigen eager (LmEager prefill + step)";
  report.prompt_len = req.prompt_len;
  report.new_tokens = req.new_tokens;
  const Prompts prompts = load_prompts(req, *bundle.tokenizer, pr.texts);
  pr.samples = static_cast<int>(prompts.size());
  pr.batch_sizes = {pr.samples};  // every provider decodes all prompts as one batch
  // atol alone bounds a logit (the contract); greedy identity replaces the argmax rule.
  pr.tolerance = Tolerance{req.tolerance.atol, 0.0, 0.0};

  say(fmt::format("eager: {} prompts of {} tokens, {} new tokens each", prompts.size(),
                  req.prompt_len, req.new_tokens));
  const std::vector<EagerGeneration> eager = run_eager(*bundle.model, prompts, req.new_tokens);

  pr.passed = true;
  for (const std::string& provider : req.providers) {
    ProviderParity row;
    row.provider_requested = provider;
    GenerationParity gen;
    gen.prompts = static_cast<int>(prompts.size());
    std::string cache = provider == "ort" ? "feed-back" : "";
    say(fmt::format("{}: generating", provider));
    try {
      if (provider == "ort") {
        const std::optional<OrtRunner> ort = OrtRunner::find();
        if (!ort)
          throw Error(ErrorCategory::kProviderUnavailable,
                      "ONNX Runtime unavailable: " + OrtRunner::why_unavailable());
        pr.ort_version = ort->version();
        gen = run_ort(*ort, req, prompts, eager, pr.tolerance, row);
      } else {
        gen = run_interpreter(req, provider, prompts, context, eager, pr.tolerance, row, cache);
      }
      row.comparison = gen.comparison;
      row.passed =
          gen.prefill_positions > 0 && gen.comparison.within_tolerance && gen.tokens_identical;
      say(fmt::format("{}: max abs diff prefill {:.3e}, decode {:.3e} over {} steps; tokens {}",
                      provider, gen.max_abs_diff_prefill, gen.max_abs_diff_decode,
                      gen.steps_compared, gen.tokens_identical ? "identical" : "differ"));
    } catch (const Error& e) {
      row.error = e.what();
      say(fmt::format("{}: {}", provider, row.error));
    }
    pr.passed = pr.passed && row.passed;
    pr.results.push_back(std::move(row));
    report.generation.push_back(gen);
    report.cache.push_back(cache);
  }
  return report;
}

nlohmann::json GenerateParityReport::to_json() const {
  nlohmann::json j = parity.to_json();
  nlohmann::json providers = nlohmann::json::object();
  bool identical = !generation.empty();
  for (size_t i = 0; i < generation.size(); ++i) {
    nlohmann::json g = generation[i].to_json();
    g["passed"] = parity.results[i].passed;
    g["cache"] = cache[i];
    if (!parity.results[i].error.empty()) {
      g["error"] = parity.results[i].error;
      g["skipped"] = parity.results[i].provider_requested == "ort" &&
                     parity.results[i].error.rfind("ONNX Runtime unavailable", 0) == 0;
    }
    identical = identical && parity.results[i].error.empty() && generation[i].tokens_identical;
    providers[parity.results[i].provider_requested] = g;
  }
  j["generate"] = {{"prompts", parity.samples},     {"prompt_len", prompt_len},
                   {"new_tokens", new_tokens},      {"decode_steps_per_prompt", new_tokens - 1},
                   {"atol", parity.tolerance.atol}, {"greedy", true},
                   {"tokens_identical", identical}, {"providers", providers}};
  return j;
}

void write_generate_parity_report(const fs::path& artifact, const GenerateParityReport& report) {
  write_file_atomic(parity_report_path(artifact), report.to_json().dump(2) + "\n");
}

}  // namespace bog::parity
