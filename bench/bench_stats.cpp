#include "bench/bench_stats.h"

#include <sys/resource.h>
#include <sys/utsname.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <thread>

#include "common/error.h"
#include "model/bundle.h"

namespace bog::bench {

LatencyStats summarize(std::vector<double> v) {
  if (v.empty()) throw Error(ErrorCategory::kInvalidArgument, "no latency samples to summarize");
  std::sort(v.begin(), v.end());
  LatencyStats s;
  s.count = static_cast<int>(v.size());
  s.mean_ms = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  // Nearest rank: the smallest sample with at least p% of the samples at or below it.
  auto pct = [&v](double p) {
    const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
    return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
  };
  s.p50_ms = pct(50);
  s.p95_ms = pct(95);
  s.p99_ms = pct(99);
  s.min_ms = v.front();
  s.max_ms = v.back();
  return s;
}

double peak_rss_mb(bool children) {
  rusage u{};
  getrusage(children ? RUSAGE_CHILDREN : RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double measure_sgemm_gflops(int n, int repeats) {
  // One thread through this thread's OpenMP count, which Eigen's GEMM follows; restored below.
  // (Eigen::setNbThreads would pin a process-wide count for every later product.)
#ifdef _OPENMP
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
#endif
  Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n);
  Eigen::MatrixXf b = Eigen::MatrixXf::Random(n, n);
  Eigen::MatrixXf c(n, n);
  double best = 0;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    c.noalias() = a * b;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s > 0) best = std::max(best, 2.0 * n * n * static_cast<double>(n) / s / 1e9);
  }
#ifdef _OPENMP
  omp_set_num_threads(saved);
#endif
  // Keeps the product observable so it is not optimized away.
  if (!std::isfinite(c(0, 0))) return 0;
  return best;
}

nlohmann::json environment_json() {
  utsname u{};
  uname(&u);
  nlohmann::json j;
  j["os"] = std::string(u.sysname) + " " + u.release;
  j["arch"] = u.machine;
  j["cpu_model"] = model::host_cpu_model();
  j["logical_cores"] = std::thread::hardware_concurrency();
#if defined(__clang__)
  j["compiler"] = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  j["compiler"] = std::string("gcc ") + __VERSION__;
#else
  j["compiler"] = "unknown";
#endif
#ifdef NDEBUG
  j["build_type"] = "release (NDEBUG)";
#else
  j["build_type"] = "debug";
#endif
  j["eigen_version"] = std::to_string(EIGEN_WORLD_VERSION) + "." +
                       std::to_string(EIGEN_MAJOR_VERSION) + "." +
                       std::to_string(EIGEN_MINOR_VERSION);
  return j;
}

}  // namespace bog::bench
