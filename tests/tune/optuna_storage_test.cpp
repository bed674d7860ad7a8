// The study storage in Optuna's schema: bog reads a study made by Debian's python3-optuna 3.1
// (tests/fixtures/optuna/, made once by make_optuna_study.py) and writes the same tables,
// version rows and distribution_json; the GP sampler's proposals for concurrent workers.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "common/build_paths.h"
#include "common/error.h"
#include "tests/cli/cli_test_util.h"
#include "tune/benchmark_functions.h"
#include "tune/optuna_schema.h"
#include "tune/sampler.h"
#include "tune/study_db.h"

namespace bog::tune {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kFixture = fs::path(bog::source_dir()) / "tests/fixtures/optuna/optuna-3.1-study.db";

// Rows of a query on a SQLite file, each row's cells joined by '|'.
std::vector<std::string> sqlite_rows(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::vector<std::string> rows;
  sqlite3_exec(
      h, sql.c_str(),
      [](void* out, int n, char** cells, char**) {
        std::string row;
        for (int i = 0; i < n; ++i) row += std::string(i ? "|" : "") + (cells[i] ? cells[i] : "");
        static_cast<std::vector<std::string>*>(out)->push_back(row);
        return 0;
      },
      &rows, nullptr);
  sqlite3_close(h);
  return rows;
}

SearchSpace fixture_space() {
  return parse_search_space(json::parse(R"([
        {"name": "train.lr", "type": "float", "low": 0.001, "high": 0.05, "log": true},
        {"name": "model.d_ff", "type": "int", "low": 8, "high": 24, "step": 4},
        {"name": "train.label_smoothing", "type": "categorical", "choices": [0.0, 0.1]},
        {"name": "model.n_layers", "type": "int", "low": 1, "high": 2},
        {"name": "model.dropout", "type": "float", "low": 0.0, "high": 0.25,
         "when": {"model.n_layers": [2]}}])"),
                            "test");
}

TEST(OptunaFixture, BogReadsTheStudyOptunaMade) {
  cli_test::TempDir dir;
  fs::copy_file(kFixture, dir / "study.db");
  StudyDb db(dir / "study.db", false);
  EXPECT_EQ(db.study_name(), "optuna-fixture");
  EXPECT_TRUE(db.maximize());
  const auto trials = db.trials();
  ASSERT_EQ(trials.size(), 6u);
  const std::vector<TrialState> states = {TrialState::kComplete, TrialState::kComplete,
                                          TrialState::kPruned,   TrialState::kFailed,
                                          TrialState::kComplete, TrialState::kRunning};
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].number, static_cast<int>(i));
    EXPECT_EQ(trials[i].state, states[i]) << i;
  }
  // Trial 0, as Optuna recorded it (values read straight from the file).
  const auto& t0 = trials[0];
  const double lr =
      std::stod(sqlite_rows(kFixture,
                            "SELECT param_value FROM trial_params WHERE trial_id = 1 AND "
                            "param_name = 'train.lr'")[0]);
  EXPECT_NEAR(t0.params["train.lr"].get<double>(), lr, 1e-14);
  EXPECT_TRUE(t0.params["model.d_ff"].is_number_integer());
  EXPECT_EQ(t0.params["model.d_ff"].get<int>() % 4, 0);
  EXPECT_TRUE(t0.params["train.label_smoothing"] == 0.0 ||
              t0.params["train.label_smoothing"] == 0.1);
  ASSERT_TRUE(t0.value);
  EXPECT_NEAR(*t0.value, 0.6 + t0.params["train.lr"].get<double>(), 1e-12);
  ASSERT_EQ(t0.epochs.size(), 3u);
  for (int e = 0; e < 3; ++e) {
    EXPECT_NEAR(t0.epochs.at(e), 0.25 + 0.1 * e + t0.params["train.lr"].get<double>(), 1e-12);
  }
  EXPECT_GT(t0.finished_at, t0.started_at);
  // The conditional parameter exists only where its parent allows it.
  for (const auto& t : trials) {
    if (t.state == TrialState::kRunning) continue;
    EXPECT_EQ(t.params.contains("model.dropout"), t.params["model.n_layers"] == 2) << t.number;
  }
  // Pruned after two epochs with the last intermediate value as its value; failed: no value.
  EXPECT_EQ(trials[2].epochs.size(), 2u);
  ASSERT_TRUE(trials[2].value);
  EXPECT_DOUBLE_EQ(*trials[2].value, trials[2].epochs.at(1));
  EXPECT_FALSE(trials[3].value);
  // The enqueued trial: its fixed parameters.
  EXPECT_EQ(trials[5].params["model.d_ff"], 12);
  EXPECT_EQ(trials[5].params["train.label_smoothing"], 0.1);
}

TEST(OptunaFixture, BogWritesTheSameTablesVersionsAndDistributions) {
  cli_test::TempDir dir;
  const SearchSpace space = fixture_space();
  {
    StudyDb db(StorageUrl{SqlDialect::kSqlite, (dir / "bog.db").string(), "", "bog.db"}, "b", true);
    ASSERT_TRUE(db.create_study(true));
    const WorkerId me = this_worker(dir.path());
    for (int i = 0; i < 2; ++i) {
      const auto t = db.claim(5, me, space, false, 0, [&](const auto&) {
        return json{{"train.lr", 0.01},
                    {"model.d_ff", 16},
                    {"train.label_smoothing", 0.1},
                    {"model.n_layers", 2},
                    {"model.dropout", 0.1}};
      });
      ASSERT_TRUE(t);
      db.report(t->number, 0, 0.5, 1.0);
      db.finish(t->number, TrialState::kComplete, 0.7, "");
    }
  }
  const std::string schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name";
  EXPECT_EQ(sqlite_rows(dir / "bog.db", schema), sqlite_rows(kFixture, schema));
  for (const char* q : {"SELECT * FROM version_info", "SELECT * FROM alembic_version",
                        "SELECT direction, objective FROM study_directions"}) {
    EXPECT_EQ(sqlite_rows(dir / "bog.db", q), sqlite_rows(kFixture, q)) << q;
  }
  // Every parameter's distribution_json is the one Optuna wrote for the same distribution.
  const std::string dq =
      "SELECT param_name, distribution_json FROM trial_params WHERE trial_id = 1 ORDER BY "
      "param_name";
  const auto ours = sqlite_rows(dir / "bog.db", dq), theirs = sqlite_rows(kFixture, dq);
  ASSERT_EQ(ours.size(), 5u);
  ASSERT_EQ(ours.size(), theirs.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    const auto a = ours[i].find('|'), b = theirs[i].find('|');
    EXPECT_EQ(ours[i].substr(0, a), theirs[i].substr(0, b));
    EXPECT_EQ(json::parse(ours[i].substr(a + 1)), json::parse(theirs[i].substr(b + 1))) << ours[i];
  }
  // Categorical parameters hold the choice's index, as Optuna's internal representation.
  EXPECT_EQ(sqlite_rows(dir / "bog.db",
                        "SELECT param_value FROM trial_params WHERE param_name = "
                        "'train.label_smoothing' AND trial_id = 1"),
            std::vector<std::string>{"1.0"});
  EXPECT_EQ(sqlite_rows(dir / "bog.db", "SELECT state FROM trials ORDER BY number"),
            (std::vector<std::string>{"COMPLETE", "COMPLETE"}));
  // And bog reads back what it wrote.
  StudyDb db(dir / "bog.db", false);
  const auto trials = db.trials();
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[1].params["train.label_smoothing"], 0.1);
  EXPECT_EQ(trials[1].params["model.d_ff"], 16);
  EXPECT_EQ(trials[1].epoch_seconds.at(0), 1.0);
  EXPECT_EQ(trials[1].attempts, 1);
}

TEST(ParallelSampling, FourConcurrentGpProposalsAreDistinct) {
  const BenchObjective branin = bench_objective("branin");
  SamplerOptions o;
  o.n_startup = 4;
  const auto gp = make_sampler("gp", o);
  std::mt19937_64 rng(3);
  History h;
  for (int i = 0; i < 8; ++i) {
    const auto x = uniform_point(branin.space, rng);
    h.done.push_back({x, branin.evaluate(branin.space.decode(x))});
  }
  // Four workers ask one after another while the others' points are still running; each
  // worker's own rng starts alike, so only the running points can tell them apart.
  std::set<std::vector<double>> proposals;
  for (int w = 0; w < 4; ++w) {
    std::mt19937_64 same(11);
    const auto x = gp->sample(branin.space, h, same);
    proposals.insert(x);
    h.running.push_back(x);
  }
  EXPECT_EQ(proposals.size(), 4u);
  for (const auto& p : proposals) {
    for (const auto& q : proposals) {
      if (p == q) continue;
      double d = 0;
      for (size_t i = 0; i < p.size(); ++i) d += (p[i] - q[i]) * (p[i] - q[i]);
      EXPECT_GT(d, 1e-6);  // not the same point up to rounding either
    }
  }
}

TEST(ParallelSampling, FourWorkersOfEightTrialsMatchOneWorkerOfThirtyTwoOnBranin) {
  const BenchObjective branin = bench_objective("branin");
  std::vector<double> serial, parallel;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    serial.push_back(minimize(branin, "gp", 32, seed).back());
    parallel.push_back(minimize_parallel(branin, "gp", 4, 8, seed).back());
  }
  // Printed on every run, pass or fail (the issue asks for both figures).
  std::printf(
      "Branin, median best of 10 seeds: 4 workers x 8 trials %.4f, 1 worker x 32 trials "
      "%.4f (minimum %.4f)\n",
      median(parallel), median(serial), branin.minimum);
  RecordProperty("median_4x8", std::to_string(median(parallel)));
  RecordProperty("median_1x32", std::to_string(median(serial)));
  EXPECT_LE(median(parallel), median(serial) + 0.05)
      << "4x8 median " << median(parallel) << ", 1x32 median " << median(serial);
  EXPECT_GE(*std::min_element(parallel.begin(), parallel.end()), branin.minimum - 1e-6);
}

TEST(StorageUrl, ParsesBothFormsAndRejectsOthers) {
  const auto s = parse_storage_url("sqlite:///runs/x/study.db");
  EXPECT_EQ(s.dialect, SqlDialect::kSqlite);
  EXPECT_EQ(s.path, "runs/x/study.db");
  EXPECT_EQ(parse_storage_url("sqlite:////abs/study.db").path, "/abs/study.db");
  const auto p = parse_storage_url("postgresql://bog:secret@db.example:5433/optuna");
  EXPECT_EQ(p.dialect, SqlDialect::kPostgres);
  EXPECT_EQ(p.shown.find("secret"), std::string::npos);
  for (const char* bad : {"mysql://u@h/db", "postgresql://host/db", "sqlite://x.db", "sqlite:///",
                          "postgresql://u@h"}) {
    EXPECT_THROW((void)parse_storage_url(bad), Error) << bad;
  }
}

}  // namespace
}  // namespace bog::tune
