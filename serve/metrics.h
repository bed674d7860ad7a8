// Server metrics in the Prometheus text exposition format: requests by route and status,
// request latency histogram by route, queue depth and the batch sizes the batcher formed.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "serve/http_server.h"

namespace bog::serve {

class Metrics {
 public:
  explicit Metrics(int max_batch);

  void count_request(const std::string& route, int status);
  void observe_latency(const std::string& route, double seconds);
  void observe_batch(int size);
  // Session runs so far: a batch of mixed lengths runs as several (length_buckets.h).
  void set_session_runs(int64_t runs);

  // `queue_depth`, `queue_capacity` and `ready` are read at scrape time.
  [[nodiscard]] std::string render(int queue_depth, int queue_capacity, bool ready) const;

 private:
  struct Histogram {
    std::vector<double> bounds;     // upper bounds, ascending; +Inf is implicit
    std::vector<uint64_t> buckets;  // cumulative at render time, per-bucket here
    uint64_t count = 0;
    double sum = 0;
    void observe(double v);
  };
  static void render_histogram(std::string& out, const std::string& name, const std::string& labels,
                               const Histogram& h);

  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  Histogram batch_sizes_;
  int64_t session_runs_ = 0;
};

// Connections open / accepted / refused / timed out (by phase) and SSE streams, as Prometheus
// text: bog_connections_open, bog_connections_accepted_total, bog_connections_refused_total,
// bog_connections_timed_out_total{phase}, bog_streams_open, bog_streams_refused_total,
// bog_streams_dropped_total.
[[nodiscard]] std::string connection_metrics(const HttpStats& stats);

// The route label for a request path: the path itself for a known route, "other" otherwise
// (so a scan of random URLs cannot grow the metric set).
[[nodiscard]] std::string route_label(const std::string& path);

}  // namespace bog::serve
