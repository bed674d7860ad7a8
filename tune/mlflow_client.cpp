#include "tune/mlflow_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "common/error.h"

namespace bog::tune {
namespace {

constexpr size_t kMaxMetrics = 1000;
constexpr size_t kMaxParams = 100;
constexpr size_t kMaxTags = 100;
constexpr size_t kMaxParamValue = 6000;

nlohmann::json key_values(const KeyValues& kv, size_t max_value) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [k, v] : kv) out.push_back({{"key", k}, {"value", v.substr(0, max_value)}});
  return out;
}

size_t append_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

}  // namespace

nlohmann::json mlflow_create_run_body(const std::string& experiment_id, const std::string& run_name,
                                      int64_t start_time_ms, const KeyValues& tags) {
  return {{"experiment_id", experiment_id},
          {"run_name", run_name},
          {"start_time", start_time_ms},
          {"tags", key_values(tags, 5000)}};
}

nlohmann::json mlflow_log_batch_body(const std::string& run_id,
                                     const std::vector<MetricPoint>& metrics,
                                     const KeyValues& params, const KeyValues& tags) {
  nlohmann::json m = nlohmann::json::array();
  for (const auto& p : metrics) {
    m.push_back(
        {{"key", p.key}, {"value", p.value}, {"timestamp", p.timestamp_ms}, {"step", p.step}});
  }
  return {{"run_id", run_id},
          {"metrics", m},
          {"params", key_values(params, kMaxParamValue)},
          {"tags", key_values(tags, 5000)}};
}

nlohmann::json mlflow_update_run_body(const std::string& run_id, const std::string& status,
                                      int64_t end_time_ms) {
  return {{"run_id", run_id}, {"status", status}, {"end_time", end_time_ms}};
}

MlflowClient::MlflowClient(std::string base_uri, std::string experiment_id)
    : base_uri_(std::move(base_uri)), experiment_id_(std::move(experiment_id)) {
  while (!base_uri_.empty() && base_uri_.back() == '/') base_uri_.pop_back();
  if (!base_uri_.starts_with("http://") && !base_uri_.starts_with("https://")) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("--mlflow-uri: expected http:// or https://, got '{}'", base_uri_));
  }
}

nlohmann::json MlflowClient::post(const std::string& endpoint, const nlohmann::json& body) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  (void)initialised;
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw Error(ErrorCategory::kIo, "mlflow: cannot initialise libcurl");
  const std::string url = base_uri_ + "/api/2.0/mlflow/" + endpoint;
  const std::string payload = body.dump();
  std::string response;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_guard(headers, curl_slist_free_all);
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, payload.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  const CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    throw Error(ErrorCategory::kIo, fmt::format("mlflow {}: {}", url, curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) {
    throw Error(ErrorCategory::kIo,
                fmt::format("mlflow {}: HTTP {}: {}", url, status, response.substr(0, 200)));
  }
  return nlohmann::json::parse(response.empty() ? "{}" : response, nullptr, false);
}

std::string MlflowClient::create_run(const std::string& run_name, int64_t start_time_ms,
                                     const KeyValues& tags) {
  const nlohmann::json answer =
      post("runs/create", mlflow_create_run_body(experiment_id_, run_name, start_time_ms, tags));
  if (answer.is_discarded() || !answer.contains("run") ||
      !answer["run"].value("info", nlohmann::json::object()).contains("run_id")) {
    throw Error(ErrorCategory::kIo, "mlflow runs/create: the answer holds no run.info.run_id");
  }
  return answer["run"]["info"]["run_id"].get<std::string>();
}

void MlflowClient::log_batch(const std::string& run_id, const std::vector<MetricPoint>& metrics,
                             const KeyValues& params, const KeyValues& tags) {
  size_t m = 0, p = 0, t = 0;
  do {
    const size_t m_end = std::min(metrics.size(), m + kMaxMetrics);
    const size_t p_end = std::min(params.size(), p + kMaxParams);
    const size_t t_end = std::min(tags.size(), t + kMaxTags);
    post("runs/log-batch",
         mlflow_log_batch_body(
             run_id, std::vector<MetricPoint>(metrics.begin() + m, metrics.begin() + m_end),
             KeyValues(params.begin() + p, params.begin() + p_end),
             KeyValues(tags.begin() + t, tags.begin() + t_end)));
    m = m_end;
    p = p_end;
    t = t_end;
  } while (m < metrics.size() || p < params.size() || t < tags.size());
}

void MlflowClient::update_run(const std::string& run_id, const std::string& status,
                              int64_t end_time_ms) {
  post("runs/update", mlflow_update_run_body(run_id, status, end_time_ms));
}

}  // namespace bog::tune
