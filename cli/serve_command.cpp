// `bog serve`: the HTTP API and page over a bundle's ONNX export (exported at start-up, or
// --onnx), run by the project's Session with dynamic batching. configs/serving.yaml, then
// BOG_BUNDLE_DIR / BOG_SERVE_HOST / BOG_SERVE_PORT / BOG_SERVE_PROVIDER, then flags.
// SIGINT/SIGTERM: in-flight requests finish, then it exits 0.
#include <fmt/format.h>
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "cli/commands.h"
#include "common/atomic_file.h"
#include "common/build_paths.h"
#include "common/error.h"
#include "model/bundle.h"
#include "model/data/sha256.h"
#include "onnx_export/exporter.h"
#include "serve/lm_loader.h"
#include "serve/model_loader.h"
#include "serve/server.h"

namespace bog::cli {
namespace {

namespace fs = std::filesystem;

serve::ServingConfig resolve_config(const std::optional<std::string>& path) {
  if (path) return serve::load_serving_config(*path);
  for (const fs::path& p : {fs::path("configs/serving.yaml"),
                            fs::path(bog::source_dir()) / "configs" / "serving.yaml"}) {
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return serve::load_serving_config(p.string());
  }
  return {};
}

std::unique_ptr<serve::Classifier> load(const serve::ServingConfig& c) {
  if (!c.onnx.empty()) {
    return serve::load_classifier(c, read_file(c.onnx), fs::path(c.onnx).parent_path());
  }
  const model::LoadedBundle bundle = model::load_bundle(c.bundle);
  const std::string sha = model::sha256_file_hex(fs::path(c.bundle) / "manifest.json");
  std::string bytes;
  if (!onnx_export::export_model(bundle, sha, {}).SerializeToString(&bytes)) {
    throw Error(ErrorCategory::kInternal, "serve: cannot serialize the exported model");
  }
  return serve::load_classifier(c, bytes, c.bundle);
}

bool is_lm_bundle(const std::string& dir) {
  std::error_code ec;
  return !dir.empty() && fs::is_directory(dir, ec) &&
         model::bundle_architecture(dir) == "tiny_llama_lm";
}

// An LM bundle, or --tokenizer (an --onnx decoder): the /v1 generation routes.
bool serves_generation(const serve::ServingConfig& c) {
  return !c.tokenizer.empty() || is_lm_bundle(c.bundle);
}

std::unique_ptr<serve::GenerationService> load_lm(const serve::ServingConfig& c) {
  // With --tokenizer the bundle (configs/serving.yaml names a classifier's) only counts when it
  // is an LM's: its context and name go with the decoder.
  if (c.onnx.empty() && !is_lm_bundle(c.bundle))
    throw Error(ErrorCategory::kInvalidArgument,
                "serve: --tokenizer goes with --onnx DECODER (or give an LM bundle)");
  serve::LmParts parts;
  if (is_lm_bundle(c.bundle)) parts = serve::read_lm_bundle(c.bundle);
  if (!c.tokenizer.empty())
    parts.tokenizer = std::make_unique<model::Tokenizer>(model::Tokenizer::load(c.tokenizer));
  if (!c.onnx.empty()) return serve::load_generation_service(c, c.onnx, std::move(parts));
  // The bundle exported on the fly, as `bog generate --bundle` does.
  const fs::path dir = fs::temp_directory_path() / fmt::format("bog-serve-lm-{}", getpid());
  fs::create_directories(dir);
  try {
    onnx_export::export_bundle(c.bundle, dir / "lm.onnx", {});
    auto service = serve::load_generation_service(c, dir / "lm.onnx", std::move(parts));
    fs::remove_all(dir);
    return service;
  } catch (...) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    throw;
  }
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "Serve a bundle over HTTP (API, page, metrics)");
  struct Args {
    std::optional<std::string> config, bundle, host, provider, onnx, batching;
    std::optional<int> port, max_batch, max_wait_ms, threads;
    std::optional<std::string> precision, tokenizer;
    bool no_batching = false;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--bundle", a->bundle, "Bundle directory (or BOG_BUNDLE_DIR)");
  cmd->add_option("--config", a->config, "Serving config (default configs/serving.yaml)");
  cmd->add_option("--host", a->host, "Address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", a->port, "Port (default 8080; 0 picks a free one)");
  cmd->add_option("--provider", a->provider, "Session provider: cpu, reference or cuda");
  cmd->add_option("--onnx", a->onnx, "Serve this ONNX file (e.g. a quantized export)");
  cmd->add_option("--batching", a->batching, "Dynamic batching: on or off")
      ->check(CLI::IsMember({"on", "off"}));
  cmd->add_flag("--no-batching", a->no_batching,
                "No dynamic batching, and generation one sequence at a time (for comparison)");
  cmd->add_option("--tokenizer", a->tokenizer,
                  "SentencePiece model: serve the --onnx decoder's generation routes (/v1)");
  cmd->add_option("--max-batch", a->max_batch, "Texts per session run");
  cmd->add_option("--max-wait-ms", a->max_wait_ms, "How long a text waits for company");
  cmd->add_option("--threads", a->threads, "Session threads");
  cmd->add_option("--precision", a->precision,
                  "fp32 (default) or bf16 GEMMs on the cpu provider (fp32 with the reason where "
                  "the CPU has no bf16)");
  cmd->callback([a] {
    serve::ServingConfig c = resolve_config(a->config);
    serve::apply_env_overrides(c, serve::serving_env_from_process());
    if (a->bundle) c.bundle = *a->bundle;
    if (a->host) c.host = *a->host;
    if (a->port) c.port = *a->port;
    if (a->provider) c.provider = *a->provider;
    if (a->onnx) c.onnx = *a->onnx;
    if (a->batching) c.batching = *a->batching == "on";
    if (a->no_batching) c.batching = false;
    if (a->tokenizer) c.tokenizer = *a->tokenizer;
    if (a->max_batch) c.max_batch = *a->max_batch;
    if (a->max_wait_ms) c.max_wait_ms = *a->max_wait_ms;
    if (a->threads) c.threads = *a->threads;
    if (a->precision) c.precision = *a->precision;
    serve::validate(c);

    // Every thread started from here on inherits the blocked signals; this thread takes them
    // with sigwait, so a signal never interrupts a request half-way.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    const bool lm = serves_generation(c);
    std::unique_ptr<serve::Server> owned =
        lm ? std::make_unique<serve::Server>(
                 c, serve::Server::GenerationLoader([c] { return load_lm(c); }))
           : std::make_unique<serve::Server>(c, serve::Server::Loader([c] { return load(c); }));
    serve::Server& server = *owned;
    const int port = server.bind();
    const std::string& what = lm && !c.tokenizer.empty() ? c.onnx : c.bundle;
    std::printf("bog serve: listening on http://%s:%d (loading %s)\n", c.host.c_str(), port,
                what.c_str());
    std::fflush(stdout);
    server.start();
    try {
      server.wait_until_loaded();
    } catch (...) {
      server.stop();
      throw;
    }
    const std::string batching =
        lm ? (c.batching ? fmt::format("continuous, {} sequences", c.generation_max_active)
                         : std::string("off, one sequence at a time"))
           : (c.batching ? fmt::format("max {} / {} ms", c.max_batch, c.max_wait_ms)
                         : std::string("off"));
    std::printf("bog serve: ready (provider %s, batching %s%s)\n", c.provider.c_str(),
                batching.c_str(), lm ? "; /v1/completions, /v1/chat/completions" : "");
    std::fflush(stdout);
    int sig = 0;
    sigwait(&signals, &sig);
    std::printf("bog serve: %s received; finishing requests in flight\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM");
    std::fflush(stdout);
    server.stop();
    std::printf("bog serve: stopped\n");
  });
}

}  // namespace bog::cli
