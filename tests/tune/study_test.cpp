// `bog tune` end to end on a tiny synthetic AG-News-shaped set: a study with the GP sampler,
// a failed trial, two jobs on one database, resume after kill -9, promote, report, run
// tracking (`bog runs`) and `bog tune bench`.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "common/atomic_file.h"
#include "model/bundle.h"
#include "tests/cli/cli_test_util.h"
#include "tune/study_db.h"

namespace bog::tune {
namespace {

namespace fs = std::filesystem;
using cli_test::run_bog;
using cli_test::RunResult;
using cli_test::TempDir;
using nlohmann::json;

const char* kWords[4][4] = {{"war", "minister", "election", "treaty"},
                            {"match", "goal", "season", "coach"},
                            {"shares", "profit", "market", "bank"},
                            {"software", "chip", "internet", "robot"}};

void make_data(const fs::path& dir) {
  fs::create_directories(dir);
  std::mt19937_64 rng(5);
  std::ofstream out(dir / "train.csv");
  for (int i = 0; i < 96; ++i) {
    const int label = i % 4;
    std::string desc;
    for (int w = 0; w < 3 + static_cast<int>(rng() % 6); ++w) {
      desc += std::string(w ? " " : "") + (rng() % 3 ? kWords[label][rng() % 4] : "the");
    }
    out << '"' << label + 1 << "\",\"" << kWords[label][i % 4] << "\",\"" << desc << "\"\n";
  }
}

class Study : public ::testing::Test {
 protected:
  void SetUp() override {
    make_data(dir_ / "data");
    write_file_atomic(dir_ / "model.yaml",
                      "architecture: tiny_llama\nvocab_size: 40\nd_model: 8\nn_heads: 2\n"
                      "n_kv_heads: 1\nd_ff: 12\nmax_len: 12\ndropout: 0.0\n");
    write_file_atomic(dir_ / "train.yaml",
                      "epochs: 3\nbatch_size: 8\nlr: 0.01\nwarmup_steps: 3\nvalid_fraction: 0.25\n"
                      "checkpoint_every: 1000\nlog_every: 1000\nthreads: 1\n");
  }
  void write_tune(const std::string& params, const std::string& extra = "") {
    write_file_atomic(dir_ / "tune.yaml", "base: {model: " + (dir_ / "model.yaml").string() +
                                              ", train: " + (dir_ / "train.yaml").string() + "}\n" +
                                              extra + "params:\n" + params);
  }
  std::vector<std::string> tune_args(const std::string& out, int trials) {
    return {"tune",
            "--config",
            (dir_ / "tune.yaml").string(),
            "--data",
            (dir_ / "data").string(),
            "--out",
            (dir_ / out).string(),
            "--trials",
            std::to_string(trials),
            "--quiet"};
  }
  std::vector<TrialRecord> trials(const std::string& out) {
    StudyDb db(dir_ / out / "study.db", false);
    return db.trials();
  }
  static constexpr const char* kSpace =
      "  - {name: train.lr, type: float, low: 1.0e-3, high: 5.0e-2, log: true}\n"
      "  - {name: model.d_ff, type: int, low: 8, high: 24, step: 4}\n"
      "  - {name: train.label_smoothing, type: categorical, choices: [0.0, 0.1]}\n";
  TempDir dir_;
};

TEST_F(Study, RunsTrialsRecordsThemAndPromotesTheBest) {
  write_tune(kSpace, "sampler: gp\nn_startup: 2\npruner: none\n");
  const RunResult r = run_bog(tune_args("s", 3));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3 trials (3 complete, 0 pruned, 0 failed)"), std::string::npos) << r.out;
  const auto all = trials("s");
  ASSERT_EQ(all.size(), 3u);
  for (const auto& t : all) {
    EXPECT_EQ(t.state, TrialState::kComplete);
    EXPECT_EQ(t.epochs.size(), 3u);  // one validation accuracy per epoch
    ASSERT_TRUE(t.value);
    double best = 0;
    for (const auto& [e, v] : t.epochs) best = std::max(best, v);
    EXPECT_DOUBLE_EQ(*t.value, best);
    EXPECT_GE(t.finished_at, t.started_at);
    EXPECT_EQ(t.params["model.d_ff"].get<int>() % 4, 0);
    // Every trial is a tracked run.
    const json run =
        json::parse(read_file(dir_ / "s" / "trials" / fmt::format("{:04}", t.number) / "run.json"));
    EXPECT_EQ(run["kind"], "trial");
    EXPECT_EQ(run["status"], "FINISHED");
    EXPECT_EQ(run["params"]["train.lr"], t.params["train.lr"]);
    EXPECT_EQ(run["metrics"].size() % 3, 0u);
  }
  // A second start over the same folder needs --resume.
  const RunResult again = run_bog(tune_args("s", 3));
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("--resume"), std::string::npos) << again.err;

  const RunResult p =
      run_bog({"tune", "promote", (dir_ / "s").string(), "--out", (dir_ / "bundle").string()});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const auto loaded = model::load_bundle(dir_ / "bundle");
  int best_number = 0;
  double best_value = -1;
  for (const auto& t : all) {
    if (*t.value > best_value) best_value = *t.value, best_number = t.number;
  }
  EXPECT_EQ(loaded.manifest["tuning"]["trial"], best_number);
  EXPECT_EQ(loaded.manifest["tuning"]["params"], all[best_number].params);

  const RunResult rep = run_bog({"tune", "report", (dir_ / "s").string()});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  const std::string html = read_file(dir_ / "s" / "report.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("Slice: train.lr"), std::string::npos);
  EXPECT_NE(read_file(dir_ / "s" / "report.md").find("| 2 | complete |"), std::string::npos);

  const RunResult list = run_bog({"runs", "list", "--root", (dir_ / "s").string(), "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const json runs = json::parse(list.out)["runs"];
  ASSERT_EQ(runs.size(), 3u);
  const RunResult cmp = run_bog({"runs", "compare", runs[0]["dir"], runs[1]["dir"], "--json"});
  ASSERT_EQ(cmp.exit_code, 0) << cmp.err;
  EXPECT_TRUE(json::parse(cmp.out)["differing_params"].contains("train.lr"));
  const RunResult show =
      run_bog({"runs", "show", runs[2]["run_id"].get<std::string>().substr(0, 10), "--root",
               (dir_ / "s").string()});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("valid.accuracy"), std::string::npos) << show.out;
}

TEST_F(Study, RecordsARejectedCombinationAsFailedWithItsReason) {
  // d_model 8 is not divisible by 3 heads: the model factory refuses, the study goes on.
  write_tune("  - {name: model.n_heads, type: categorical, choices: [3]}\n", "pruner: none\n");
  const RunResult r = run_bog(tune_args("f", 2));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto all = trials("f");
  ASSERT_EQ(all.size(), 2u);  // the budget bounds the retries
  for (const auto& t : all) {
    EXPECT_EQ(t.state, TrialState::kFailed);
    EXPECT_NE(t.message.find("n_heads"), std::string::npos) << t.message;
    EXPECT_FALSE(t.value);
  }
  const json run = json::parse(read_file(dir_ / "f" / "trials" / "0000" / "run.json"));
  EXPECT_EQ(run["status"], "FAILED");
}

TEST_F(Study, TwoJobsShareOneDatabase) {
  write_tune(kSpace, "sampler: gp\nn_startup: 2\n");
  std::vector<std::string> args = tune_args("j", 4);
  args.insert(args.end(), {"--jobs", "2"});
  const RunResult r = run_bog(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto all = trials("j");
  ASSERT_EQ(all.size(), 4u);
  std::set<int> numbers;
  std::set<std::string> params;
  for (const auto& t : all) {
    EXPECT_TRUE(t.state == TrialState::kComplete || t.state == TrialState::kPruned)
        << state_name(t.state);
    EXPECT_EQ(t.attempts, 1);  // no trial was taken twice
    numbers.insert(t.number);
    params.insert(t.params.dump());
  }
  EXPECT_EQ(numbers, (std::set<int>{0, 1, 2, 3}));
  EXPECT_EQ(params.size(), 4u);  // running trials are visible to the other worker's sampler
}

// Starts `bog` without waiting for it.
pid_t spawn_bog(const std::vector<std::string>& args) {
  const char* exe = std::getenv("BOG_EXE");
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv = {const_cast<char*>(exe)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::freopen("/dev/null", "w", stderr);
    ::freopen("/dev/null", "w", stdout);
    ::execv(exe, argv.data());
    ::_exit(127);
  }
  return pid;
}

TEST_F(Study, ResumeAfterKillLosesNoFinishedTrialAndRerunsTheInterruptedOne) {
  write_tune(kSpace, "sampler: random\npruner: none\n");
  const std::vector<std::string> args = tune_args("k", 4);
  const pid_t pid = spawn_bog(args);
  ASSERT_GT(pid, 0);
  // Wait (bounded) until one trial has finished and the next is running, then kill -9.
  std::vector<TrialRecord> before;
  for (int i = 0; i < 6000; ++i) {
    if (fs::exists(dir_ / "k" / "study.db")) {
      before = trials("k");
      int complete = 0, running = 0;
      for (const auto& t : before) {
        complete += t.state == TrialState::kComplete;
        running += t.state == TrialState::kRunning;
      }
      if (complete >= 1 && running == 1) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  before = trials("k");
  std::vector<TrialRecord> finished;
  std::vector<int> interrupted;
  for (const auto& t : before) {
    if (t.state == TrialState::kComplete) finished.push_back(t);
    if (t.state == TrialState::kRunning) interrupted.push_back(t.number);
  }
  ASSERT_GE(finished.size(), 1u);
  ASSERT_LT(finished.size(), 4u) << "the study ended before the kill";

  std::vector<std::string> resume = args;
  resume.push_back("--resume");
  const RunResult r = run_bog(resume);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto after = trials("k");
  ASSERT_EQ(after.size(), 4u);
  for (const auto& t : after) EXPECT_EQ(t.state, TrialState::kComplete) << t.number;
  for (const auto& f : finished) {  // untouched: same parameters, value, epochs, one attempt
    EXPECT_EQ(after[f.number].params, f.params);
    EXPECT_EQ(after[f.number].value, f.value);
    EXPECT_EQ(after[f.number].epochs, f.epochs);
    EXPECT_EQ(after[f.number].attempts, 1);
  }
  for (int n : interrupted) {
    EXPECT_EQ(after[n].attempts, 2) << n;  // ran again, with the same parameters
    EXPECT_EQ(after[n].params, before[n].params);
    EXPECT_EQ(after[n].epochs.size(), 3u);
  }
}

TEST_F(Study, BadConfigOrFlagsGiveOneErrorLine) {
  write_tune("  - {name: train.lr, type: float, low: 1, high: 0}\n");
  for (const auto& args :
       {tune_args("b", 2),
        std::vector<std::string>{"tune", "--out", (dir_ / "b").string(), "--config",
                                 (dir_ / "missing.yaml").string(), "--data",
                                 (dir_ / "data").string()},
        std::vector<std::string>{"tune", "bench", "--objectives", "rosenbrock"},
        std::vector<std::string>{"tune", "bench", "--samplers", "gp,cmaes"},
        std::vector<std::string>{"tune", "promote", (dir_ / "nothing").string(), "--out",
                                 (dir_ / "x").string()},
        std::vector<std::string>{"runs", "show", "nosuchrun", "--root", dir_.path().string()}}) {
    const RunResult r = run_bog(args);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.exit_code, 70) << r.err;  // not an internal error
    EXPECT_EQ(r.err.rfind("error[", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST_F(Study, TrainIsTrackedAsARun) {
  const RunResult r =
      run_bog({"train", "--model-config", (dir_ / "model.yaml").string(), "--train-config",
               (dir_ / "train.yaml").string(), "--data", (dir_ / "data").string(), "--out",
               (dir_ / "runs" / "t").string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json run = json::parse(read_file(dir_ / "runs" / "t" / "run.json"));
  EXPECT_EQ(run["kind"], "train");
  EXPECT_EQ(run["status"], "FINISHED");
  EXPECT_EQ(run["params"]["train.lr"].get<double>(), 0.01f);
  int epochs = 0;
  for (const auto& m : run["metrics"]) epochs += m["key"] == "valid.accuracy";
  EXPECT_EQ(epochs, 3);
  EXPECT_TRUE(run["system"].contains("host_cpu"));
  EXPECT_TRUE(run.contains("git_commit"));
  const RunResult list = run_bog({"runs", "list", "--root", (dir_ / "runs").string()});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("FINISHED"), std::string::npos) << list.out;
}

TEST(TuneBench, PrintsTheResultsAsJson) {
  const RunResult r = run_bog({"tune", "bench", "--objectives", "branin", "--trials", "8",
                               "--seeds", "3", "--samplers", "gp,random", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json j = json::parse(r.out);
  ASSERT_EQ(j["results"].size(), 2u);
  for (const auto& row : j["results"]) {
    EXPECT_EQ(row["objective"], "branin");
    EXPECT_EQ(row["best_per_seed"].size(), 3u);
    std::vector<double> v = row["best_per_seed"];
    std::sort(v.begin(), v.end());
    EXPECT_DOUBLE_EQ(row["median_best"].get<double>(), v[1]);
    EXPECT_GE(v[0], 0.397887 - 1e-6);  // nobody beats the true minimum
  }
  EXPECT_EQ(j["results"][0]["sampler"], "gp");
  EXPECT_EQ(j["results"][1]["sampler"], "random");
}

}  // namespace
}  // namespace bog::tune
