// `bog loadtest`: keep-alive connections post /predict to a running `bog serve` for a fixed
// time; prints requests/s, p50/p99 latency, status counts and the batch sizes the server formed.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.h"
#include "common/atomic_file.h"
#include "common/error.h"
#include "model/data/ag_news.h"
#include "serve/generate_load.h"
#include "serve/load_generator.h"

namespace bog::cli {

namespace {

template <class Args>
void run_generate(const Args& a) {
  serve::GenerateLoadOptions o;
  o.host = a.host;
  o.port = a.port;
  o.concurrency = a.concurrency;
  o.duration_s = a.duration;
  o.max_tokens = a.max_tokens;
  o.ignore_eos = !a.stop_at_eos;
  o.prompts = serve::builtin_headlines();
  const serve::GenerateLoadResult r = serve::run_generate_load(o);
  nlohmann::json j = r.to_json();
  j["concurrency"] = o.concurrency;
  j["max_tokens"] = o.max_tokens;
  if (a.out) write_file_atomic(*a.out, j.dump(2) + "\n");
  if (a.json) {
    std::cout << j.dump() << "\n";
  } else {
    std::cout << fmt::format(
        "{} streams, {:.1f} s: {} requests, {} ok, {} rejected (429), {} failed\n"
        "{:.1f} generated tokens/s, {:.2f} req/s; TTFT p50 {:.1f} ms, p99 {:.1f} ms; "
        "inter-token p50 {:.2f} ms, p99 {:.2f} ms\n",
        o.concurrency, r.duration_s, r.requests, r.ok, r.rejected_429, r.failed, r.tokens_per_s,
        r.requests_per_s, r.ttft_ms_p50, r.ttft_ms_p99, r.itl_ms_p50, r.itl_ms_p99);
  }
  if (r.failed > 0) throw CommandFailed(fmt::format("{} request(s) failed", r.failed));
}

}  // namespace

void add_loadtest_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "loadtest", "Load-test a running `bog serve` (POST /predict; --generate: /v1 streams)");
  struct Args {
    std::string host = "127.0.0.1";
    int port = 8080;
    int connections = 64;
    double duration = 30;
    std::optional<std::string> texts, data, out;
    int rows = 256;
    int stalled = 0;
    bool json = false;
    bool generate = false, stop_at_eos = false;
    int concurrency = 16, max_tokens = 64;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--host", a->host, "Server address (default 127.0.0.1)");
  cmd->add_option("--port", a->port, "Server port (default 8080)");
  cmd->add_option("--connections", a->connections, "Concurrent keep-alive connections (64)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--duration", a->duration, "Seconds to run (30)")->check(CLI::Range(0.1, 3600.0));
  cmd->add_option("--texts", a->texts, "File with one text per line (default: built-in headlines)");
  cmd->add_option("--data", a->data,
                  "AG News folder: post the first --rows articles of its test.csv (title and "
                  "description, as the model was trained on them)")
      ->excludes("--texts");
  cmd->add_option("--rows", a->rows, "Articles taken with --data (256)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--stalled", a->stalled,
                  "Also hold this many stalled connections (request line and one header, then "
                  "nothing; reopened when the server closes them)")
      ->check(CLI::Range(0, 10000));
  cmd->add_flag("--generate", a->generate,
                "Stream /v1/completions from an LM server instead (tokens/s, TTFT, ITL)");
  cmd->add_option("--concurrency", a->concurrency, "--generate: concurrent streams (16)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--max-tokens", a->max_tokens, "--generate: tokens per request (64)")
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_flag("--stop-at-eos", a->stop_at_eos,
                "--generate: let a request end at the end-of-text token (default: every "
                "request generates --max-tokens)");
  cmd->add_option("--out", a->out, "Also write the result as JSON to this file");
  cmd->add_flag("--json", a->json, "Print one JSON object");
  cmd->callback([a] {
    if (a->generate) return run_generate(*a);
    serve::LoadOptions o;
    o.host = a->host;
    o.port = a->port;
    o.connections = a->connections;
    o.duration_s = a->duration;
    o.stalled = a->stalled;
    if (a->texts) {
      std::ifstream in(*a->texts);
      if (!in) throw Error(ErrorCategory::kIo, fmt::format("cannot read {}", *a->texts));
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) o.texts.push_back(line);
      }
    } else if (a->data) {
      const std::vector<model::Example> test =
          model::read_ag_news_csv(std::filesystem::path(*a->data) / "test.csv");
      for (size_t i = 0; i < test.size() && static_cast<int>(i) < a->rows; ++i) {
        o.texts.push_back(test[i].title.empty() ? test[i].description
                                                : test[i].title + " " + test[i].description);
      }
      if (o.texts.empty()) {
        throw Error(ErrorCategory::kInvalidArgument,
                    fmt::format("{}/test.csv has no rows", *a->data));
      }
    } else {
      o.texts = serve::builtin_headlines();
    }
    const serve::LoadResult r = serve::run_load(o);
    nlohmann::json j = r.to_json();
    j["connections"] = o.connections;
    if (a->out) write_file_atomic(*a->out, j.dump(2) + "\n");
    if (a->json) {
      std::cout << j.dump() << "\n";
    } else {
      std::cout << fmt::format(
          "{} connections, {:.1f} s: {} requests, {} ok, {} rejected (503), {} failed\n"
          "{:.1f} req/s; latency p50 {:.2f} ms, p90 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms\n"
          "{} batches formed, mean size {:.2f}; sizes {}\n{}",
          o.connections, r.duration_s, r.requests, r.ok, r.rejected_503, r.failed, r.requests_per_s,
          r.p50_ms, r.p90_ms, r.p99_ms, r.max_ms, r.batches.count,
          j["batches"]["mean_size"].get<double>(), j["batches"]["sizes"].dump(),
          r.stalled > 0 ? fmt::format("{} stalled connections held; {} closed by the server ({} "
                                      "with 408) and opened again\n",
                                      r.stalled, r.stalled_closed, r.stalled_answered_408)
                        : "");
    }
    if (r.failed > 0) {
      throw CommandFailed(fmt::format("{} request(s) failed (not 200 or 503)", r.failed));
    }
  });
}

}  // namespace bog::cli
