#include <fmt/format.h>

#include <cmath>

#include "common/error.h"
#include "tune/optuna_schema.h"

namespace bog::tune {

nlohmann::json optuna_distribution(const ParamSpec& spec) {
  using nlohmann::json;
  switch (spec.kind) {
    case ParamKind::kFloat:
      return {{"name", "FloatDistribution"},
              {"attributes",
               {{"step", nullptr}, {"low", spec.low}, {"high", spec.high}, {"log", spec.log}}}};
    case ParamKind::kInt:
      return {{"name", "IntDistribution"},
              {"attributes",
               {{"log", spec.log},
                {"step", static_cast<int64_t>(spec.step)},
                {"low", static_cast<int64_t>(spec.low)},
                {"high", static_cast<int64_t>(spec.high)}}}};
    case ParamKind::kCategorical:
      return {{"name", "CategoricalDistribution"}, {"attributes", {{"choices", spec.choices}}}};
  }
  return {};
}

double optuna_internal_value(const ParamSpec& spec, const nlohmann::json& value) {
  if (spec.kind == ParamKind::kCategorical) {
    for (size_t i = 0; i < spec.choices.size(); ++i) {
      if (spec.choices[i] == value) return static_cast<double>(i);
    }
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("{}: {} is not one of its choices", spec.name, value.dump()));
  }
  return value.get<double>();
}

nlohmann::json optuna_external_value(const nlohmann::json& distribution, double internal) {
  const std::string name = distribution.value("name", "");
  const auto& attrs = distribution.value("attributes", nlohmann::json::object());
  if (name == "FloatDistribution" || name == "UniformDistribution" ||
      name == "LogUniformDistribution" || name == "DiscreteUniformDistribution") {
    return internal;
  }
  if (name == "IntDistribution" || name == "IntUniformDistribution" ||
      name == "IntLogUniformDistribution") {
    return static_cast<int64_t>(std::llround(internal));
  }
  if (name == "CategoricalDistribution") {
    const auto& choices = attrs.value("choices", nlohmann::json::array());
    const auto i = static_cast<size_t>(std::llround(internal));
    if (choices.is_array() && i < choices.size()) return choices[i];
  }
  throw Error(ErrorCategory::kIo,
              fmt::format("unknown Optuna distribution {}", distribution.dump()));
}

}  // namespace bog::tune
