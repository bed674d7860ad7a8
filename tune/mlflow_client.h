// Logs runs to an MLflow tracking server through its REST API 2.0 (runs/create,
// runs/log-batch, runs/update) with libcurl. The request bodies are built by plain functions
// so tests can check them against MLflow's documented schema.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace bog::tune {

struct MetricPoint {
  std::string key;
  double value = 0;
  int64_t timestamp_ms = 0;
  int64_t step = 0;
};

using KeyValues = std::vector<std::pair<std::string, std::string>>;

[[nodiscard]] nlohmann::json mlflow_create_run_body(const std::string& experiment_id,
                                                    const std::string& run_name,
                                                    int64_t start_time_ms, const KeyValues& tags);
// MLflow caps a batch at 1000 metrics, 100 params and 100 tags; param values at 6000 chars.
[[nodiscard]] nlohmann::json mlflow_log_batch_body(const std::string& run_id,
                                                   const std::vector<MetricPoint>& metrics,
                                                   const KeyValues& params, const KeyValues& tags);
// status: RUNNING, SCHEDULED, FINISHED, FAILED or KILLED.
[[nodiscard]] nlohmann::json mlflow_update_run_body(const std::string& run_id,
                                                    const std::string& status, int64_t end_time_ms);

class MlflowClient {
 public:
  // base_uri: e.g. http://127.0.0.1:5000 (the API lives under /api/2.0/mlflow/).
  explicit MlflowClient(std::string base_uri, std::string experiment_id = "0");

  // Each throws Error(kIo) naming the endpoint on a transport error or a non-2xx answer.
  std::string create_run(const std::string& run_name, int64_t start_time_ms, const KeyValues& tags);
  // Splits into as many requests as MLflow's batch limits need.
  void log_batch(const std::string& run_id, const std::vector<MetricPoint>& metrics,
                 const KeyValues& params, const KeyValues& tags);
  void update_run(const std::string& run_id, const std::string& status, int64_t end_time_ms);

 private:
  nlohmann::json post(const std::string& endpoint, const nlohmann::json& body);
  std::string base_uri_;
  std::string experiment_id_;
};

}  // namespace bog::tune
