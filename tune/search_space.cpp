#include "tune/search_space.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "common/error.h"

namespace bog::tune {
namespace {

[[noreturn]] void fail(std::string_view source, std::string_view what) {
  throw Error(ErrorCategory::kInvalidArgument, fmt::format("{}: {}", source, what));
}

double number(const nlohmann::json& j, std::string_view source, const std::string& where) {
  if (!j.is_number()) fail(source, fmt::format("{}: expected a number, got {}", where, j.dump()));
  return j.get<double>();
}

// Position of a float/int value in [0, 1].
double to_unit(const ParamSpec& p, double v) {
  if (p.kind == ParamKind::kInt) {
    const auto n = static_cast<double>(p.cardinality());
    const double k = std::round((v - p.low) / p.step);
    return (k + 0.5) / n;
  }
  if (p.log) return (std::log(v) - std::log(p.low)) / (std::log(p.high) - std::log(p.low));
  return (v - p.low) / (p.high - p.low);
}

}  // namespace

int64_t ParamSpec::cardinality() const {
  if (kind == ParamKind::kCategorical) return static_cast<int64_t>(choices.size());
  if (kind == ParamKind::kInt) return static_cast<int64_t>(std::floor((high - low) / step)) + 1;
  return 0;
}

SearchSpace::SearchSpace(std::vector<ParamSpec> params) : params_(std::move(params)) {
  std::set<std::string> seen;
  for (const auto& p : params_) {
    const std::string src = "search space";
    if (p.name.empty()) fail(src, "a parameter has no name");
    for (const auto& c : p.conditions) {
      if (!seen.count(c.parent)) {
        fail(src, fmt::format("{}: condition on '{}', which is not an earlier parameter", p.name,
                              c.parent));
      }
    }
    if (!seen.insert(p.name).second) fail(src, fmt::format("{}: declared twice", p.name));
    switch (p.kind) {
      case ParamKind::kCategorical:
        if (p.choices.empty()) fail(src, fmt::format("{}: no choices", p.name));
        break;
      case ParamKind::kInt:
        if (p.low != std::round(p.low) || p.high != std::round(p.high) || p.step < 1 ||
            p.step != std::round(p.step)) {
          fail(src, fmt::format("{}: int bounds and step must be whole numbers", p.name));
        }
        [[fallthrough]];
      case ParamKind::kFloat:
        if (!(p.low < p.high) && !(p.kind == ParamKind::kInt && p.low == p.high)) {
          fail(src, fmt::format("{}: low {} must be below high {}", p.name, p.low, p.high));
        }
        if (p.log && p.low <= 0) {
          fail(src, fmt::format("{}: a log range needs low > 0, got {}", p.name, p.low));
        }
        if (p.log && p.kind == ParamKind::kInt) {
          fail(src, fmt::format("{}: log is for float parameters", p.name));
        }
        break;
    }
  }
}

bool SearchSpace::active(size_t i, const nlohmann::json& so_far) const {
  for (const auto& c : params_[i].conditions) {
    if (!so_far.contains(c.parent)) return false;
    const auto& v = so_far[c.parent];
    if (std::find(c.values.begin(), c.values.end(), v) == c.values.end()) return false;
  }
  return true;
}

nlohmann::json SearchSpace::decode(const std::vector<double>& x) const {
  nlohmann::json out = nlohmann::json::object();
  for (size_t i = 0; i < params_.size(); ++i) {
    if (!active(i, out)) continue;
    const auto& p = params_[i];
    const double u = std::clamp(
        x[i], 0.0,
        p.kind == ParamKind::kCategorical ? static_cast<double>(p.choices.size() - 1) : 1.0);
    switch (p.kind) {
      case ParamKind::kCategorical:
        out[p.name] = p.choices[static_cast<size_t>(std::lround(u))];
        break;
      case ParamKind::kInt: {
        const int64_t n = p.cardinality();
        const int64_t k = std::min<int64_t>(n - 1, static_cast<int64_t>(u * n));
        out[p.name] = static_cast<int64_t>(p.low) + k * static_cast<int64_t>(p.step);
        break;
      }
      case ParamKind::kFloat:
        out[p.name] = p.log ? std::exp(std::log(p.low) + u * (std::log(p.high) - std::log(p.low)))
                            : p.low + u * (p.high - p.low);
        break;
    }
  }
  return out;
}

std::vector<double> SearchSpace::encode(const nlohmann::json& values) const {
  std::vector<double> x(params_.size(), 0.5);
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& p = params_[i];
    if (p.kind == ParamKind::kCategorical) x[i] = 0;
    if (!values.contains(p.name)) continue;
    const auto& v = values[p.name];
    if (p.kind == ParamKind::kCategorical) {
      const auto it = std::find(p.choices.begin(), p.choices.end(), v);
      if (it != p.choices.end()) x[i] = static_cast<double>(it - p.choices.begin());
    } else if (v.is_number()) {
      x[i] = std::clamp(to_unit(p, v.get<double>()), 0.0, 1.0);
    }
  }
  return x;
}

std::vector<double> SearchSpace::canonical(const std::vector<double>& x) const {
  return encode(decode(x));
}

SearchSpace parse_search_space(const nlohmann::json& params, std::string_view source) {
  if (!params.is_array() || params.empty()) fail(source, "params: expected a non-empty list");
  std::vector<ParamSpec> specs;
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& j = params[i];
    const std::string where = fmt::format("params[{}]", i);
    if (!j.is_object()) fail(source, where + ": expected a mapping");
    for (const auto& [key, _] : j.items()) {
      static const std::set<std::string> kKeys = {"name", "type", "low",     "high",
                                                  "log",  "step", "choices", "when"};
      if (!kKeys.count(key)) fail(source, fmt::format("{}: unknown key '{}'", where, key));
    }
    ParamSpec p;
    if (!j.contains("name") || !j["name"].is_string()) fail(source, where + ": needs a name");
    p.name = j["name"].get<std::string>();
    const std::string at = fmt::format("params.{}", p.name);
    const std::string type = j.value("type", "");
    if (type == "float" || type == "int") {
      p.kind = type == "float" ? ParamKind::kFloat : ParamKind::kInt;
      if (!j.contains("low") || !j.contains("high")) fail(source, at + ": needs low and high");
      p.low = number(j["low"], source, at + ".low");
      p.high = number(j["high"], source, at + ".high");
      if (j.contains("log")) {
        if (!j["log"].is_boolean()) fail(source, at + ".log: expected true or false");
        p.log = j["log"].get<bool>();
      }
      if (j.contains("step")) p.step = number(j["step"], source, at + ".step");
    } else if (type == "categorical") {
      p.kind = ParamKind::kCategorical;
      if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) {
        fail(source, at + ": needs a non-empty list of choices");
      }
      for (const auto& c : j["choices"]) {
        if (!c.is_primitive() || c.is_null()) fail(source, at + ": choices must be scalars");
        p.choices.push_back(c);
      }
    } else {
      fail(source, fmt::format("{}: type must be float, int or categorical, got '{}'", at,
                               j.contains("type") ? j["type"].dump() : ""));
    }
    if (j.contains("when")) {
      if (!j["when"].is_object() || j["when"].empty())
        fail(source, at + ".when: expected a mapping");
      for (const auto& [parent, values] : j["when"].items()) {
        Condition c{parent, {}};
        if (values.is_array()) {
          for (const auto& v : values) c.values.push_back(v);
        } else {
          c.values.push_back(values);
        }
        p.conditions.push_back(std::move(c));
      }
    }
    specs.push_back(std::move(p));
  }
  try {
    return SearchSpace(std::move(specs));
  } catch (const Error& e) {
    fail(source, e.what());
  }
}

}  // namespace bog::tune
