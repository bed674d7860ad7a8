// The search space of a study: float (uniform or log-uniform), int and categorical parameters,
// some only active under a condition on another. Samplers work in an encoded space: one
// number per parameter, in [0, 1] for numbers and the choice index for categoricals.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bog::tune {

enum class ParamKind { kFloat, kInt, kCategorical };

struct Condition {
  std::string parent;                  // name of the parameter this one depends on
  std::vector<nlohmann::json> values;  // active when the parent takes one of these
};

struct ParamSpec {
  std::string name;
  ParamKind kind = ParamKind::kFloat;
  double low = 0;
  double high = 1;
  bool log = false;
  double step = 1;                      // ints: the grid is low, low + step, ... <= high
  std::vector<nlohmann::json> choices;  // categoricals: any JSON scalars
  std::vector<Condition> conditions;    // all must hold for the parameter to exist

  // Number of values for a discrete parameter (ints and categoricals).
  [[nodiscard]] int64_t cardinality() const;
};

class SearchSpace {
 public:
  SearchSpace() = default;
  // Throws Error(kInvalidArgument) on duplicate names, empty ranges, a log range that is not
  // positive, or a condition on an unknown or later parameter.
  explicit SearchSpace(std::vector<ParamSpec> params);

  [[nodiscard]] const std::vector<ParamSpec>& params() const { return params_; }
  [[nodiscard]] size_t size() const { return params_.size(); }
  [[nodiscard]] bool is_categorical(size_t i) const {
    return params_[i].kind == ParamKind::kCategorical;
  }

  // The encoded point as parameter values (only active parameters appear in the object).
  [[nodiscard]] nlohmann::json decode(const std::vector<double>& x) const;
  // Parameter values to the encoded point; an inactive or absent parameter encodes as its
  // neutral value (0.5, or choice 0), so samplers always see a full vector.
  [[nodiscard]] std::vector<double> encode(const nlohmann::json& values) const;
  // Snaps an encoded point onto what it decodes to (int grid centres, whole choice indices),
  // and gives inactive parameters their neutral value.
  [[nodiscard]] std::vector<double> canonical(const std::vector<double>& x) const;

 private:
  [[nodiscard]] bool active(size_t i, const nlohmann::json& so_far) const;
  std::vector<ParamSpec> params_;
};

// The parameters of `params:` in a tune.yaml, e.g.
//   - {name: train.lr, type: float, low: 1.0e-4, high: 1.0e-2, log: true}
//   - {name: model.n_layers, type: int, low: 1, high: 3}
//   - {name: model.mlp, type: categorical, choices: [gelu, swiglu]}
//   - {name: model.d_ff, type: int, low: 128, high: 512, step: 64, when: {model.n_layers: [2, 3]}}
// `source` names the file in errors.
[[nodiscard]] SearchSpace parse_search_space(const nlohmann::json& params, std::string_view source);

}  // namespace bog::tune
