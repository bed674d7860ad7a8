#include "conformance/conformance_run.h"

#include <algorithm>
#include <thread>

namespace bog::conformance {

ConformanceRun run_cases(const std::vector<ConformanceCase>& cases,
                         const std::vector<std::string>& providers, int jobs,
                         const SandboxLimits& limits,
                         const std::function<void(const Totals&, size_t)>& on_case) {
  const int running =
      jobs > 0 ? jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ConformanceRun run;
  run.reports.resize(cases.size());
  run_sandboxed(
      cases.size(), running, limits,
      [&](size_t i, int fd) { run_case_reporting(cases[i], providers, fd); },
      [&](size_t i, SandboxResult result) {
        run.reports[i] = parse_case_report(cases[i], result, limits);
        run.totals.add(run.reports[i].status);
        if (on_case) on_case(run.totals, cases.size());
      });
  return run;
}

}  // namespace bog::conformance
