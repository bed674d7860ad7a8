// Pruners stop trials that are clearly behind, from the validation accuracy every trial reports
// after each epoch (maximised). Both are stateless: they read the other trials' reports.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace bog::tune {

struct PrunerConfig {
  std::string type = "median";  // "median", "successive_halving" or "none"
  // median: prune when this trial's best so far is below the median of the finished trials'
  // values at the same epoch, once n_startup_trials have finished and after n_warmup_epochs.
  int n_startup_trials = 3;
  int n_warmup_epochs = 1;
  // successive_halving: rungs at epochs min_epochs * reduction_factor^k; at a rung a trial
  // goes on only if it ranks in the top 1 / reduction_factor of the trials that reached it.
  int min_epochs = 1;
  int reduction_factor = 3;
};

// One other trial's per-epoch reports (epoch -> validation accuracy).
struct TrialCurve {
  std::map<int, double> values;
  bool finished = false;  // complete or pruned
};

// Whether the trial with `own` reports (the newest at `epoch`) should stop now.
[[nodiscard]] bool should_prune(const PrunerConfig& config, const std::map<int, double>& own,
                                int epoch, const std::vector<TrialCurve>& others);

}  // namespace bog::tune
