// Expected improvement for minimisation, in log space so that it stays finite and has a
// useful gradient far from the incumbent (where EI itself underflows to 0).
#pragma once

namespace bog::tune {

// log E[max(best - f, 0)] for f ~ N(mean, stddev^2), stddev > 0.
[[nodiscard]] double log_expected_improvement(double mean, double stddev, double best);

// The closed form EI = s (z Phi(z) + phi(z)), z = (best - mean) / s, for tests and reports.
[[nodiscard]] double expected_improvement(double mean, double stddev, double best);

}  // namespace bog::tune
