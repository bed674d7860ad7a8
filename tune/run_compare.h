// Comparing tracked runs (run.json records, tune/run_tracker.h) for `bog runs list|compare`:
// each run's final metrics, and the parameters in which runs differ.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bog::tune {

// The last value of each metric key of a run record.
[[nodiscard]] std::map<std::string, double> final_metrics(const nlohmann::json& run);

struct RunComparison {
  nlohmann::json run_ids = nlohmann::json::array();  // in the order given
  // param -> [value per run] (null where a run lacks it), only params whose values differ.
  nlohmann::json differing_params = nlohmann::json::object();
  // metric key -> [final value per run] (null where a run lacks it), every key of any run.
  nlohmann::json final_metrics = nlohmann::json::object();
};
[[nodiscard]] RunComparison compare_runs(const std::vector<nlohmann::json>& runs);

}  // namespace bog::tune
