#include "tune/pruner.h"

#include <algorithm>
#include <cmath>

namespace bog::tune {
namespace {

bool median_prune(const PrunerConfig& c, const std::map<int, double>& own, int epoch,
                  const std::vector<TrialCurve>& others) {
  if (epoch <= c.n_warmup_epochs) return false;
  std::vector<double> at_epoch;
  int finished = 0;
  for (const auto& o : others) {
    if (!o.finished) continue;
    ++finished;
    const auto it = o.values.find(epoch);
    if (it != o.values.end()) at_epoch.push_back(it->second);
  }
  if (finished < c.n_startup_trials || at_epoch.empty()) return false;
  std::sort(at_epoch.begin(), at_epoch.end());
  const size_t m = at_epoch.size();
  const double median = m % 2 ? at_epoch[m / 2] : 0.5 * (at_epoch[m / 2 - 1] + at_epoch[m / 2]);
  double best = -1e300;
  for (const auto& [e, v] : own) best = std::max(best, v);
  return best < median;
}

bool halving_prune(const PrunerConfig& c, const std::map<int, double>& own, int epoch,
                   const std::vector<TrialCurve>& others) {
  // Is `epoch` a rung?
  bool rung = false;
  for (double r = c.min_epochs; r <= epoch; r *= c.reduction_factor) {
    if (static_cast<int>(r) == epoch) rung = true;
  }
  if (!rung) return false;
  const double mine = own.at(epoch);
  std::vector<double> at_rung = {mine};
  for (const auto& o : others) {
    const auto it = o.values.find(epoch);
    if (it != o.values.end()) at_rung.push_back(it->second);
  }
  // Until a rung holds reduction_factor trials there is nothing to compare against.
  if (at_rung.size() < static_cast<size_t>(c.reduction_factor)) return false;
  const size_t keep = std::max<size_t>(1, at_rung.size() / c.reduction_factor);
  std::sort(at_rung.begin(), at_rung.end(), std::greater<>());
  return mine < at_rung[keep - 1];
}

}  // namespace

bool should_prune(const PrunerConfig& config, const std::map<int, double>& own, int epoch,
                  const std::vector<TrialCurve>& others) {
  if (!own.count(epoch)) return false;
  if (config.type == "median") return median_prune(config, own, epoch, others);
  if (config.type == "successive_halving") return halving_prune(config, own, epoch, others);
  return false;
}

}  // namespace bog::tune
