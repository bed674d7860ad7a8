#include "tune/run_compare.h"

#include <set>

namespace bog::tune {

using nlohmann::json;

std::map<std::string, double> final_metrics(const json& run) {
  std::map<std::string, double> out;
  for (const auto& m : run.value("metrics", json::array())) {
    out[m.value("key", "")] = m.value("value", 0.0);
  }
  return out;
}

RunComparison compare_runs(const std::vector<json>& runs) {
  std::set<std::string> keys;
  for (const auto& r : runs) {
    const json params = r.value("params", json::object());
    for (const auto& [k, _] : params.items()) keys.insert(k);
  }
  json diff = json::object();
  for (const auto& k : keys) {
    json values = json::array();
    for (const auto& r : runs) values.push_back(r.value("params", json::object()).value(k, json()));
    bool same = true;
    for (const auto& v : values) same &= v == values[0];
    if (!same) diff[k] = values;
  }
  std::set<std::string> metric_keys;
  std::vector<std::map<std::string, double>> finals;
  for (const auto& r : runs) {
    finals.push_back(final_metrics(r));
    for (const auto& [k, _] : finals.back()) metric_keys.insert(k);
  }
  json metrics = json::object();
  for (const auto& k : metric_keys) {
    json values = json::array();
    for (const auto& f : finals) values.push_back(f.count(k) ? json(f.at(k)) : json());
    metrics[k] = values;
  }
  RunComparison c;
  for (const auto& r : runs) c.run_ids.push_back(r["run_id"]);
  c.differing_params = std::move(diff);
  c.final_metrics = std::move(metrics);
  return c;
}

}  // namespace bog::tune
