#include "serve/generate_load.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "common/error.h"
#include "serve/sse_client.h"

namespace bog::serve {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

struct Tally {
  uint64_t requests = 0, ok = 0, failed = 0, rejected = 0, tokens = 0;
  std::vector<double> ttft_ms, itl_ms;
};

// One streamed request; adds what it saw to `t`.
void one_request(const GenerateLoadOptions& o, const std::string& prompt, Tally& t) {
  ++t.requests;
  const json body = {{"prompt", prompt},           {"max_tokens", o.max_tokens},
                     {"temperature", 0},           {"stream", true},
                     {"ignore_eos", o.ignore_eos}, {"stream_options", {{"include_usage", true}}}};
  try {
    SseClient c(o.host, o.port, 60);
    const auto t0 = Clock::now();
    const int status = c.request("POST", "/v1/completions", body.dump());
    if (status == 429) {
      ++t.rejected;
      return;
    }
    if (status != 200) {
      ++t.failed;
      return;
    }
    std::string data;
    bool done = false, error = false;
    uint64_t tokens = 0;
    std::optional<Clock::time_point> last;
    std::vector<double> itl;
    double ttft = 0;
    while (c.next_event(data)) {
      const auto now = Clock::now();
      if (data == "[DONE]") {
        done = true;
        break;
      }
      const json j = json::parse(data, nullptr, false);
      if (!j.is_object() || j.contains("error")) {
        error = true;
        continue;
      }
      if (j.contains("usage") && j["usage"].is_object())
        tokens = j["usage"].value("completion_tokens", uint64_t{0});
      if (!j.contains("choices") || j["choices"].empty()) continue;
      const json& ch = j["choices"][0];
      if (!ch.contains("text") || ch["text"].get<std::string>().empty()) continue;
      if (last) {
        itl.push_back(ms_between(*last, now));
      } else {
        ttft = ms_between(t0, now);
      }
      last = now;
    }
    if (!done || error || tokens == 0) {
      ++t.failed;
      return;
    }
    ++t.ok;
    t.tokens += tokens;
    t.ttft_ms.push_back(ttft);
    t.itl_ms.insert(t.itl_ms.end(), itl.begin(), itl.end());
  } catch (const Error&) {
    ++t.failed;
  }
}

}  // namespace

json GenerateLoadResult::to_json() const {
  return {{"duration_s", duration_s},
          {"requests", requests},
          {"ok", ok},
          {"failed", failed},
          {"rejected_429", rejected_429},
          {"tokens", tokens},
          {"tokens_per_s", tokens_per_s},
          {"requests_per_s", requests_per_s},
          {"ttft_ms_p50", ttft_ms_p50},
          {"ttft_ms_p99", ttft_ms_p99},
          {"itl_ms_p50", itl_ms_p50},
          {"itl_ms_p99", itl_ms_p99}};
}

GenerateLoadResult run_generate_load(const GenerateLoadOptions& o) {
  if (o.prompts.empty())
    throw Error(ErrorCategory::kInvalidArgument, "loadtest --generate: no prompts");
  {
    SseClient probe(o.host, o.port, 10);
    if (probe.request("GET", "/v1/models", "") != 200)
      throw Error(ErrorCategory::kIo,
                  fmt::format("loadtest --generate: http://{}:{}/v1/models does not answer 200 "
                              "(is `bog serve` serving an LM?)",
                              o.host, o.port));
  }
  std::vector<Tally> tallies(static_cast<size_t>(o.concurrency));
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(o.duration_s));
  std::vector<std::thread> workers;
  for (int w = 0; w < o.concurrency; ++w) {
    workers.emplace_back([&, w] {
      size_t next = static_cast<size_t>(w);
      while (Clock::now() < deadline) {
        one_request(o, o.prompts[next++ % o.prompts.size()], tallies[static_cast<size_t>(w)]);
      }
    });
  }
  for (auto& t : workers) t.join();
  GenerateLoadResult r;
  r.duration_s = std::chrono::duration<double>(Clock::now() - start).count();
  Tally all;
  for (const Tally& t : tallies) {
    all.requests += t.requests;
    all.ok += t.ok;
    all.failed += t.failed;
    all.rejected += t.rejected;
    all.tokens += t.tokens;
    all.ttft_ms.insert(all.ttft_ms.end(), t.ttft_ms.begin(), t.ttft_ms.end());
    all.itl_ms.insert(all.itl_ms.end(), t.itl_ms.begin(), t.itl_ms.end());
  }
  r.requests = all.requests;
  r.ok = all.ok;
  r.failed = all.failed;
  r.rejected_429 = all.rejected;
  r.tokens = all.tokens;
  r.tokens_per_s = static_cast<double>(all.tokens) / r.duration_s;
  r.requests_per_s = static_cast<double>(all.ok) / r.duration_s;
  r.ttft_ms_p50 = quantile(all.ttft_ms, 0.5);
  r.ttft_ms_p99 = quantile(all.ttft_ms, 0.99);
  r.itl_ms_p50 = quantile(all.itl_ms, 0.5);
  r.itl_ms_p99 = quantile(all.itl_ms, 0.99);
  return r;
}

}  // namespace bog::serve
