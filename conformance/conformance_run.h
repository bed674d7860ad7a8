// Runs node-test cases, each in its own child process (conformance/sandbox.h), a few at a time:
// a crash, hang or runaway allocation in one case is that case's "error" verdict.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "conformance/conformance_case.h"
#include "conformance/conformance_report.h"
#include "conformance/sandbox.h"

namespace bog::conformance {

struct ConformanceRun {
  std::vector<CaseReport> reports;  // in the order of the cases
  Totals totals;
};

// `jobs` <= 0: one per hardware thread. `on_case(totals, cases)` runs after each case ends, in
// completion order (for progress output).
ConformanceRun run_cases(const std::vector<ConformanceCase>& cases,
                         const std::vector<std::string>& providers, int jobs,
                         const SandboxLimits& limits,
                         const std::function<void(const Totals&, size_t cases)>& on_case);

}  // namespace bog::conformance
