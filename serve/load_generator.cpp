#include "serve/load_generator.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/error.h"
#include "serve/stalled_clients.h"

namespace bog::serve {
namespace {

using Clock = std::chrono::steady_clock;

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size()))) - 1;
  return sorted[std::min(i, sorted.size() - 1)];
}

std::string fetch_metrics(const LoadOptions& o) {
  httplib::Client client(o.host, o.port);
  client.set_connection_timeout(5);
  const auto res = client.Get("/metrics");
  if (!res || res->status != 200) {
    throw Error(ErrorCategory::kIo,
                fmt::format("loadtest: cannot read http://{}:{}/metrics", o.host, o.port));
  }
  return res->body;
}

struct Worker {
  std::vector<double> latencies_ms;
  uint64_t ok = 0, rejected = 0, failed = 0;
};

}  // namespace

std::vector<std::string> builtin_headlines() {
  return {
      "Stocks rally as the central bank holds interest rates steady",
      "Striker scores twice as United win the derby in extra time",
      "New smartphone chip promises longer battery life and faster AI",
      "Peace talks resume after ceasefire holds for a second week",
      "Oil prices fall on signs of weaker demand in Asia",
      "Olympic champion retires after a record-breaking career",
      "Researchers unveil an open-source compiler for quantum computers",
      "Parliament votes on the new budget amid street protests",
      "Tech giant reports quarterly profit above analyst forecasts",
      "Tennis star withdraws from the open with a wrist injury",
      "Space agency delays the launch of its lunar lander to next year",
      "Election observers report a calm vote in the capital",
      "Airline merger approved by regulators with conditions",
      "Coach fired after the team's seventh straight loss",
      "Software update fixes a security flaw in millions of routers",
      "Floods displace thousands as rivers burst their banks",
  };
}

BatchHistogram parse_batch_histogram(const std::string& text) {
  BatchHistogram h;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    constexpr std::string_view kBucket = "bog_batch_size_bucket{le=\"";
    if (line.rfind(kBucket, 0) == 0) {
      const size_t q = line.find('"', kBucket.size());
      const size_t sp = line.rfind(' ');
      if (q == std::string::npos || sp == std::string::npos) continue;
      const std::string le = line.substr(kBucket.size(), q - kBucket.size());
      const double bound = le == "+Inf" ? std::numeric_limits<double>::infinity() : std::stod(le);
      h.cumulative[bound] = std::stoull(line.substr(sp + 1));
    } else if (line.rfind("bog_batch_size_count ", 0) == 0) {
      h.count = std::stoull(line.substr(21));
    } else if (line.rfind("bog_batch_size_sum ", 0) == 0) {
      h.sum = std::stod(line.substr(19));
    }
  }
  return h;
}

BatchHistogram histogram_delta(const BatchHistogram& after, const BatchHistogram& before) {
  BatchHistogram d;
  for (const auto& [le, n] : after.cumulative) {
    const auto it = before.cumulative.find(le);
    d.cumulative[le] = n - (it == before.cumulative.end() ? 0 : it->second);
  }
  d.count = after.count - before.count;
  d.sum = after.sum - before.sum;
  return d;
}

nlohmann::json LoadResult::to_json() const {
  nlohmann::json buckets = nlohmann::json::object();
  uint64_t previous = 0;
  double previous_le = 0;
  for (const auto& [le, n] : batches.cumulative) {
    const std::string key = std::isinf(le)          ? fmt::format(">{}", previous_le)
                            : previous_le + 1 >= le ? fmt::format("{}", le)
                                                    : fmt::format("{}-{}", previous_le + 1, le);
    if (n > previous) buckets[key] = n - previous;
    previous = n;
    previous_le = le;
  }
  return {{"duration_s", duration_s},
          {"stalled",
           {{"connections", stalled},
            {"closed_by_server", stalled_closed},
            {"answered_408", stalled_answered_408}}},
          {"requests", requests},
          {"ok", ok},
          {"rejected_503", rejected_503},
          {"failed", failed},
          {"requests_per_s", requests_per_s},
          {"latency_ms",
           {{"p50", p50_ms}, {"p90", p90_ms}, {"p99", p99_ms}, {"mean", mean_ms}, {"max", max_ms}}},
          {"batches",
           {{"count", batches.count},
            {"texts", batches.sum},
            {"mean_size", batches.count ? batches.sum / static_cast<double>(batches.count) : 0.0},
            {"sizes", buckets}}}};
}

LoadResult run_load(const LoadOptions& o) {
  if (o.texts.empty()) throw Error(ErrorCategory::kInvalidArgument, "loadtest: no texts");
  if (o.connections < 1 || o.duration_s <= 0) {
    throw Error(ErrorCategory::kInvalidArgument,
                "loadtest: connections and duration must be positive");
  }
  std::vector<std::string> bodies;
  for (const std::string& t : o.texts) bodies.push_back(nlohmann::json{{"text", t}}.dump());
  const BatchHistogram before = parse_batch_histogram(fetch_metrics(o));

  std::unique_ptr<StalledClients> stalled;
  if (o.stalled > 0) stalled = std::make_unique<StalledClients>(o.host, o.port, o.stalled);
  std::vector<Worker> workers(static_cast<size_t>(o.connections));
  std::vector<std::thread> threads;
  const auto t0 = Clock::now();
  const auto end =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      Worker& w = workers[static_cast<size_t>(c)];
      httplib::Client client(o.host, o.port);
      client.set_keep_alive(true);
      // Without it the request goes out as headers then body, and the body waits for the
      // server's delayed ACK (Nagle): ~40 ms a request, whatever the server does.
      client.set_tcp_nodelay(true);
      client.set_connection_timeout(10);
      client.set_read_timeout(60);
      size_t i = static_cast<size_t>(c);
      while (Clock::now() < end) {
        const std::string& body = bodies[i++ % bodies.size()];
        const auto start = Clock::now();
        const auto res = client.Post("/predict", body, "application/json");
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        if (res && res->status == 200) {
          ++w.ok;
          w.latencies_ms.push_back(ms);
        } else if (res && res->status == 503) {
          ++w.rejected;
        } else {
          ++w.failed;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  LoadResult r;
  if (stalled) {
    r.stalled = o.stalled;
    r.stalled_closed = stalled->closed_by_server();
    r.stalled_answered_408 = stalled->answered_408();
    stalled.reset();
  }
  r.duration_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double> all;
  for (const Worker& w : workers) {
    r.ok += w.ok;
    r.rejected_503 += w.rejected;
    r.failed += w.failed;
    all.insert(all.end(), w.latencies_ms.begin(), w.latencies_ms.end());
  }
  r.requests = r.ok + r.rejected_503 + r.failed;
  std::sort(all.begin(), all.end());
  r.requests_per_s = static_cast<double>(r.ok) / r.duration_s;
  r.p50_ms = percentile(all, 0.50);
  r.p90_ms = percentile(all, 0.90);
  r.p99_ms = percentile(all, 0.99);
  r.max_ms = all.empty() ? 0 : all.back();
  double sum = 0;
  for (const double v : all) sum += v;
  r.mean_ms = all.empty() ? 0 : sum / static_cast<double>(all.size());
  r.batches = histogram_delta(parse_batch_histogram(fetch_metrics(o)), before);
  return r;
}

}  // namespace bog::serve
