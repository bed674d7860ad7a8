// Studies in a real PostgreSQL server (tests/tune/with_postgres.sh starts a throwaway one and
// sets BOG_TEST_POSTGRES_URL; ctest entry tune_postgres): 4 concurrent `bog tune` workers claim
// every trial once, and a worker killed with SIGKILL leaves its trial RUNNING until its
// heartbeat is older than the grace period, then another worker fails it and runs a retry that
// records the trial it retries. The synthetic objective keeps each trial a fraction of a second.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <set>
#include <thread>

#include "common/atomic_file.h"
#include "tests/cli/cli_test_util.h"
#include "tune/benchmark_functions.h"
#include "tune/study_db.h"

namespace bog::tune {
namespace {

namespace fs = std::filesystem;
using cli_test::TempDir;

class PostgresStudy : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("BOG_TEST_POSTGRES_URL");
    if (!url) GTEST_SKIP() << "BOG_TEST_POSTGRES_URL unset: run under tests/tune/with_postgres.sh";
    url_ = url;
    write_config(0);
  }
  void write_config(int seed) {
    write_file_atomic(dir_ / "branin.yaml",
                      "objective: {function: branin, seconds: " + seconds_ +
                          "}\nsampler: gp\nn_startup: 4\nseed: " + std::to_string(seed) +
                          "\nparams:\n"
                          "  - {name: x1, type: float, low: -5, high: 10}\n"
                          "  - {name: x2, type: float, low: 0, high: 15}\n");
  }
  // The lowest Branin value of a finished study's complete trials.
  double best_value(const std::string& study) {
    double best = std::numeric_limits<double>::infinity();
    int complete = 0;
    for (const auto& t : trials(study)) {
      if (t.state != TrialState::kComplete || !t.value) continue;
      ++complete;
      best = std::min(best, *t.value);
    }
    EXPECT_EQ(complete, 32) << study;
    return best;
  }
  pid_t spawn(const std::string& study, int trials, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"tune",
                                     "--config",
                                     (dir_ / "branin.yaml").string(),
                                     "--storage",
                                     url_,
                                     "--study",
                                     study,
                                     "--out",
                                     (dir_ / study).string(),
                                     "--trials",
                                     std::to_string(trials),
                                     "--quiet",
                                     "--data",
                                     dir_.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const char* exe = std::getenv("BOG_EXE");
    std::fflush(nullptr);  // else the child's freopen writes the parent's buffered output again
    const pid_t pid = ::fork();
    if (pid == 0) {
      std::vector<char*> argv = {const_cast<char*>(exe)};
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::freopen("/dev/null", "w", stdout);
      ::execv(exe, argv.data());
      ::_exit(127);
    }
    return pid;
  }
  static int wait_exit(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::vector<TrialRecord> trials(const std::string& study) {
    StudyDb db(parse_storage_url(url_), study, false);
    return db.has_study() ? db.trials() : std::vector<TrialRecord>{};
  }
  std::string url_;
  std::string seconds_ = "0.3";
  TempDir dir_;
};

TEST_F(PostgresStudy, FourConcurrentWorkersRunEveryTrialExactlyOnce) {
  std::vector<pid_t> workers;
  for (int w = 0; w < 4; ++w) workers.push_back(spawn("four", 16));
  for (pid_t p : workers) EXPECT_EQ(wait_exit(p), 0);
  const auto all = trials("four");
  ASSERT_EQ(all.size(), 16u);
  std::set<int> numbers;
  std::set<int64_t> pids;
  std::set<std::string> params;
  for (const auto& t : all) {
    EXPECT_EQ(t.state, TrialState::kComplete) << t.number;
    EXPECT_EQ(t.attempts, 1) << t.number;  // claimed once
    ASSERT_TRUE(t.value);
    EXPECT_EQ(t.epochs.size(), 1u);
    numbers.insert(t.number);
    pids.insert(t.pid);
    params.insert(t.params.dump());
  }
  EXPECT_EQ(numbers.size(), 16u);
  EXPECT_EQ(*numbers.rbegin(), 15);
  EXPECT_GE(pids.size(), 2u);     // the workers shared the work
  EXPECT_EQ(params.size(), 16u);  // no point proposed twice
}

// The sampler across processes: 4 `bog tune` workers sharing 32 trials, each sampling while the
// others' trials run (kriging believer), do about as well as one worker running the 32 in turn.
TEST_F(PostgresStudy, FourWorkersOfEightTrialsOnBraninMatchOneWorkerOfThirtyTwo) {
  seconds_ = "0.05";
  std::vector<double> serial, parallel;
  for (int seed = 0; seed < 10; ++seed) {
    write_config(seed);
    const std::string one = fmt::format("serial-{}", seed), four = fmt::format("four-{}", seed);
    EXPECT_EQ(wait_exit(spawn(one, 32)), 0);
    std::vector<pid_t> workers;
    for (int w = 0; w < 4; ++w) workers.push_back(spawn(four, 32));
    for (pid_t p : workers) EXPECT_EQ(wait_exit(p), 0);
    serial.push_back(best_value(one));
    parallel.push_back(best_value(four));
    std::printf("seed %d: 1x32 %.4f, 4x8 %.4f\n", seed, serial.back(), parallel.back());
  }
  std::printf(
      "PostgreSQL, Branin, median best of 10 seeds: 4 workers x 8 trials %.4f, 1 worker "
      "x 32 trials %.4f\n",
      median(parallel), median(serial));
  EXPECT_LE(median(parallel), median(serial) + 0.05)
      << "4x8 median " << median(parallel) << ", 1x32 median " << median(serial);
}

TEST_F(PostgresStudy, AKilledWorkersTrialFailsAfterTheGracePeriodAndIsRetried) {
  seconds_ = "2.5";
  SetUp();
  const std::vector<std::string> beat = {"--heartbeat-s", "0.5", "--grace-s", "2"};
  const pid_t victim = spawn("kill", 4, beat);
  // Wait (bounded) until the victim runs a trial, then kill it.
  int running = -1;
  for (int i = 0; i < 600 && running < 0; ++i) {
    for (const auto& t : trials("kill")) {
      if (t.state == TrialState::kRunning) running = t.number;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(running, 0);
  ::kill(victim, SIGKILL);
  EXPECT_EQ(wait_exit(victim), 128 + SIGKILL);
  // Within the grace period a new worker leaves the trial alone.
  const pid_t other = spawn("kill", 4, beat);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(trials("kill")[static_cast<size_t>(running)].state, TrialState::kRunning);
  EXPECT_EQ(wait_exit(other), 0);
  const auto all = trials("kill");
  const TrialRecord& killed = all[static_cast<size_t>(running)];
  EXPECT_EQ(killed.state, TrialState::kFailed);
  EXPECT_NE(killed.message.find("heartbeat"), std::string::npos) << killed.message;
  int retries = 0, complete = 0;
  for (const auto& t : all) {
    complete += t.state == TrialState::kComplete;
    if (t.failed_trial) {
      ++retries;
      EXPECT_EQ(*t.failed_trial, running);
      EXPECT_EQ(t.retry_history, std::vector<int>{running});
      EXPECT_EQ(t.params, killed.params);  // the same point again
      EXPECT_EQ(t.state, TrialState::kComplete);
      EXPECT_EQ(t.attempts, 1);
    } else if (t.number != running) {
      EXPECT_EQ(t.attempts, 1) << t.number;
    }
  }
  EXPECT_EQ(retries, 1);
  EXPECT_EQ(complete, 4);  // the budget: the retried failure does not count
  EXPECT_EQ(all.size(), 5u);
}

}  // namespace
}  // namespace bog::tune
