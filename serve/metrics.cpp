#include "serve/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace bog::serve {
namespace {

const std::vector<double> kLatencyBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                            0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};

std::vector<double> batch_bounds(int max_batch) {
  std::vector<double> b;
  for (int v = 1; v < max_batch; v *= 2) b.push_back(v);
  b.push_back(max_batch);
  return b;
}

std::string number(double v) { return fmt::format("{}", v); }

}  // namespace

std::string connection_metrics(const HttpStats& s) {
  std::string out;
  const auto metric = [&out](const char* name, const char* type, const char* help, int64_t v) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, v);
  };
  metric("bog_connections_open", "gauge", "Client connections open now (streams included).",
         s.open);
  metric("bog_connections_accepted_total", "counter", "Connections accepted.", s.accepted);
  metric("bog_connections_refused_total", "counter",
         "Connections answered 503 at once: max_connections were open.", s.refused);
  out +=
      "# HELP bog_connections_timed_out_total Connections closed at a deadline: headers and body "
      "(408), idle (no request), write (client not reading).\n"
      "# TYPE bog_connections_timed_out_total counter\n";
  for (const auto& [phase, n] : {std::pair<const char*, int64_t>{"headers", s.timed_out_headers},
                                 {"body", s.timed_out_body},
                                 {"idle", s.timed_out_idle},
                                 {"write", s.timed_out_write}}) {
    out += fmt::format("bog_connections_timed_out_total{{phase=\"{}\"}} {}\n", phase, n);
  }
  metric("bog_streams_open", "gauge", "Server-sent-event streams open now.", s.streams_open);
  metric("bog_streams_refused_total", "counter", "Stream requests answered 503 (max_streams).",
         s.streams_refused);
  metric("bog_streams_dropped_total", "counter",
         "Streams dropped because the client stopped reading or left.", s.streams_dropped);
  return out;
}

std::string route_label(const std::string& path) {
  static const std::array<const char*, 12> kRoutes = {
      "/",        "/health", "/ready",   "/metadata",     "/predict", "/predict/batch",
      "/version", "/docs",   "/metrics", "/openapi.json", "/static",  "/evidence"};
  for (const char* r : kRoutes) {
    if (path == r) return path;
  }
  for (const char* r : {"/v2", "/v2/health/live", "/v2/health/ready", "/v2/models"}) {
    if (path == r) return path;
  }
  if (path.rfind("/v2/models/", 0) == 0) {
    for (const char* tail : {"/ready", "/infer"}) {
      const std::string t = tail;
      if (path.size() > t.size() && path.compare(path.size() - t.size(), t.size(), t) == 0) {
        return "/v2/models/{name}" + t;
      }
    }
    return "/v2/models/{name}";
  }
  if (path.rfind("/static/", 0) == 0) return "/static";
  if (path.rfind("/evidence/", 0) == 0) return "/evidence";
  return "other";
}

void Metrics::Histogram::observe(double v) {
  const auto it = std::lower_bound(bounds.begin(), bounds.end(), v);
  ++buckets[static_cast<size_t>(it - bounds.begin())];  // the last slot is +Inf
  ++count;
  sum += v;
}

Metrics::Metrics(int max_batch) {
  batch_sizes_.bounds = batch_bounds(std::max(1, max_batch));
  batch_sizes_.buckets.assign(batch_sizes_.bounds.size() + 1, 0);
}

void Metrics::count_request(const std::string& route, int status) {
  const std::lock_guard lock(mu_);
  ++requests_[{route, status}];
}

void Metrics::observe_latency(const std::string& route, double seconds) {
  const std::lock_guard lock(mu_);
  Histogram& h = latency_[route];
  if (h.bounds.empty()) {
    h.bounds = kLatencyBounds;
    h.buckets.assign(h.bounds.size() + 1, 0);
  }
  h.observe(seconds);
}

void Metrics::observe_batch(int size) {
  const std::lock_guard lock(mu_);
  batch_sizes_.observe(size);
}

void Metrics::set_session_runs(int64_t runs) {
  const std::lock_guard lock(mu_);
  session_runs_ = runs;
}

void Metrics::render_histogram(std::string& out, const std::string& name, const std::string& labels,
                               const Histogram& h) {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds.size(); ++i) {
    cumulative += h.buckets[i];
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, number(h.bounds[i]),
                       cumulative);
  }
  cumulative += h.buckets.back();
  out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cumulative);
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, braces, number(h.sum), name, braces,
                     h.count);
}

std::string Metrics::render(int queue_depth, int queue_capacity, bool ready) const {
  const std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP bog_requests_total HTTP requests answered, by route and status code.\n";
  out += "# TYPE bog_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out += fmt::format("bog_requests_total{{route=\"{}\",status=\"{}\"}} {}\n", key.first,
                       key.second, n);
  }
  out += "# HELP bog_request_duration_seconds Time from request parsed to response ready.\n";
  out += "# TYPE bog_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    render_histogram(out, "bog_request_duration_seconds", fmt::format("route=\"{}\"", route), h);
  }
  out += "# HELP bog_queue_depth Texts waiting for a batch.\n# TYPE bog_queue_depth gauge\n";
  out += fmt::format("bog_queue_depth {}\n", queue_depth);
  out += "# HELP bog_queue_capacity Texts the queue holds before answering 503.\n";
  out += "# TYPE bog_queue_capacity gauge\n";
  out += fmt::format("bog_queue_capacity {}\n", queue_capacity);
  out += "# HELP bog_batch_size Texts per batch the batcher formed.\n";
  out += "# TYPE bog_batch_size histogram\n";
  render_histogram(out, "bog_batch_size", "", batch_sizes_);
  out += "# HELP bog_session_runs_total Session runs (a batch of mixed lengths runs as several).\n";
  out += "# TYPE bog_session_runs_total counter\n";
  out += fmt::format("bog_session_runs_total {}\n", session_runs_);
  out += "# HELP bog_ready 1 once the session is loaded.\n# TYPE bog_ready gauge\n";
  out += fmt::format("bog_ready {}\n", ready ? 1 : 0);
  return out;
}

}  // namespace bog::serve
