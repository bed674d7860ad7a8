// Optuna's RDB schema and value formats, so `optuna.load_study` reads a bog study and bog reads
// an Optuna study: the tables (optuna_ddl.cpp), the version rows Optuna checks, the
// distribution_json of each parameter and its internal representation in trial_params.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tune/search_space.h"

namespace bog::tune {

inline constexpr int kOptunaSchemaVersion = 12;
inline constexpr const char* kOptunaLibraryVersion = "3.1.0";
inline constexpr const char* kOptunaAlembicRevision = "v3.0.0.d";

[[nodiscard]] const char* optuna_sqlite_ddl();
[[nodiscard]] const char* optuna_postgres_ddl();

// {"name": "FloatDistribution" | "IntDistribution" | "CategoricalDistribution", "attributes": ...}
[[nodiscard]] nlohmann::json optuna_distribution(const ParamSpec& spec);
// The value as trial_params.param_value holds it (categoricals: the choice's index).
[[nodiscard]] double optuna_internal_value(const ParamSpec& spec, const nlohmann::json& value);
// Back from param_value with the stored distribution (ints as JSON integers). Error(kIo) for a
// distribution this reader does not know.
[[nodiscard]] nlohmann::json optuna_external_value(const nlohmann::json& distribution,
                                                   double internal);

}  // namespace bog::tune
