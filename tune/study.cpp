#include "tune/study.h"

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <limits>
#include <mutex>
#include <thread>

#include "common/atomic_file.h"
#include "common/error.h"
#include "model/bundle.h"
#include "model/model_config.h"
#include "model/train/train_config.h"
#include "model/train/trainer.h"
#include "tune/benchmark_functions.h"
#include "tune/run_tracker.h"
#include "tune/sampler.h"
#include "tune/tune_config.h"

extern char** environ;

namespace bog::tune {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

// Sampler history: finished trials with loss = -accuracy; failed ones count as the worst
// loss seen so the model steers away from them.
History make_history(const SearchSpace& space, const std::vector<TrialRecord>& trials,
                     bool maximize) {
  History h;
  double worst = maximize ? 0 : -std::numeric_limits<double>::infinity();  // accuracy 0
  for (const auto& t : trials) {
    if ((t.state == TrialState::kComplete || t.state == TrialState::kPruned) && t.value &&
        std::isfinite(*t.value)) {
      const double loss = maximize ? -*t.value : *t.value;
      h.done.push_back({space.encode(t.params), loss});
      worst = std::max(worst, loss);
    }
  }
  if (!std::isfinite(worst)) worst = 0;
  for (const auto& t : trials) {
    // A trial failed by a lost worker says nothing about its point (its retry runs it).
    const bool lost = t.message.starts_with("heartbeat ");
    if (t.state == TrialState::kFailed && !lost) {
      h.done.push_back({space.encode(t.params), worst});
    }
    if (t.state == TrialState::kRunning || t.state == TrialState::kWaiting) {
      h.running.push_back(space.encode(t.params));
    }
  }
  return h;
}

nlohmann::json split_overrides(const nlohmann::json& params, const std::string& prefix) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : params.items()) {
    if (k.starts_with(prefix)) out[k.substr(prefix.size())] = v;
  }
  return out;
}

struct TrialOutcome {
  TrialState state = TrialState::kFailed;
  std::optional<double> value;
  std::string message;
};

// A synthetic objective: the test function's value after `seconds`.
TrialOutcome run_synthetic_trial(const TuneConfig& config, StudyDb& db, const TrialRecord& trial) {
  const auto started = Clock::now();
  const auto until = started + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(config.objective_seconds));
  while (Clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  TrialOutcome outcome;
  try {
    outcome.value = bench_objective(config.objective_function).evaluate(trial.params);
    db.report(trial.number, 0, *outcome.value,
              std::chrono::duration<double>(Clock::now() - started).count());
    outcome.state = TrialState::kComplete;
  } catch (const std::exception& e) {
    outcome.state = TrialState::kFailed;
    outcome.message = e.what();
  }
  return outcome;
}

// Writes the running trial's heartbeat every `seconds` on its own connection until destroyed.
class HeartbeatThread {
 public:
  HeartbeatThread(const StorageUrl& url, const std::string& study, int number, double seconds) {
    if (seconds <= 0) return;
    thread_ = std::thread([this, url, study, number, seconds] {
      try {
        StudyDb db(url, study, false);
        std::unique_lock<std::mutex> lock(mutex_);
        while (
            !cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return stop_; })) {
          lock.unlock();
          db.heartbeat(number);
          lock.lock();
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "trial %d: heartbeat stopped: %s\n", number, e.what());
      }
    });
  }
  ~HeartbeatThread() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  HeartbeatThread(const HeartbeatThread&) = delete;
  HeartbeatThread& operator=(const HeartbeatThread&) = delete;

 private:
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
};

double grace_seconds(const StudyOptions& o) {
  if (o.heartbeat_s <= 0) return 0;
  return o.grace_s > 0 ? o.grace_s : 2 * o.heartbeat_s;
}

TrialOutcome run_trial(const TuneConfig& config, const StudyOptions& options, StudyDb& db,
                       const TrialRecord& trial) {
  if (!config.objective_function.empty()) return run_synthetic_trial(config, db, trial);
  const fs::path dir = trial_dir(options.out, trial.number);
  fs::remove_all(dir);  // an interrupted earlier attempt starts over
  fs::create_directories(dir);
  RunStart start;
  start.name = fmt::format("{}/trial-{:04}", options.out.filename().string(), trial.number);
  start.kind = "trial";
  start.params = trial.params;
  start.tags = {{"study", options.out.string()}, {"trial", trial.number}};
  start.mlflow_uri = options.mlflow_uri;
  RunTracker tracker(dir, start);
  TrialOutcome outcome;
  std::map<int, double> own;
  try {
    const std::string model_text =
        apply_overrides(config.base_model, split_overrides(trial.params, "model."));
    const std::string train_text =
        apply_overrides(config.base_train, split_overrides(trial.params, "train."));
    // The factory's own validation: a rejected combination fails here with its reason.
    const model::ModelConfig mc = model::parse_model_config(model_text, "trial model config");
    const model::TrainConfig tc = model::parse_train_config(train_text, "trial train config");
    write_file_atomic(dir / "model.yaml", model::to_json(mc).dump(2) + "\n");
    write_file_atomic(dir / "train.yaml", model::to_json(tc).dump(2) + "\n");
    if (!config.tokenizer.empty()) fs::copy_file(config.tokenizer, dir / "tokenizer.model");

    model::TrainOptions o;
    o.model_config = dir / "model.yaml";
    o.train_config = dir / "train.yaml";
    o.data_dir = options.data_dir;
    o.out_dir = dir;
    o.command = fmt::format("bog tune trial {} of {}", trial.number, options.out.string());
    o.quiet = true;
    const auto started = Clock::now();
    o.on_epoch = [&](int epoch, const nlohmann::json& valid) {
      const double acc = valid.value("accuracy", 0.0);
      own[epoch] = acc;
      const double secs = std::chrono::duration<double>(Clock::now() - started).count();
      db.report(trial.number, epoch, acc, secs);
      tracker.log_epoch(epoch, {{"valid", valid}});
      std::vector<TrialCurve> others;
      for (const auto& t : db.trials()) {
        if (t.number == trial.number || t.state == TrialState::kFailed) continue;
        others.push_back(
            {t.epochs, t.state == TrialState::kComplete || t.state == TrialState::kPruned});
      }
      return !should_prune(config.pruner, own, epoch, others);
    };
    const model::TrainSummary s = model::run_training(o);
    outcome.value = s.best_valid_accuracy;
    outcome.state = s.stopped_by_callback ? TrialState::kPruned : TrialState::kComplete;
    tracker.finish("FINISHED",
                   {{"state", state_name(outcome.state)},
                    {"best_valid_accuracy", s.best_valid_accuracy},
                    {"steps", s.steps},
                    {"train_seconds", s.train_seconds}},
                   {"checkpoints/best.safetensors", "metrics.jsonl", "config.json"});
  } catch (const std::exception& e) {
    outcome.state = TrialState::kFailed;
    outcome.message = e.what();
    tracker.finish("FAILED", {{"state", "failed"}, {"error", e.what()}}, {});
  }
  return outcome;
}

void worker_loop(const TuneConfig& config, const StudyOptions& options, const StudyLocation& at,
                 int max_trials, double timeout_min) {
  StudyDb db(at.url, at.name, false);
  const bool maximize = db.maximize();
  const WorkerId me = this_worker(options.out);
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(timeout_min > 0 ? timeout_min * 60 : 1e9));
  SamplerOptions so;
  so.n_startup = config.n_startup;
  so.seed = config.seed;
  const auto sampler = make_sampler(config.sampler, so);
  const auto pid = static_cast<uint64_t>(me.pid);
  while (Clock::now() < deadline) {
    const auto trial =
        db.claim(max_trials, me, config.space, options.heartbeat_s > 0, grace_seconds(options),
                 [&](const std::vector<TrialRecord>& all) {
                   std::mt19937_64 rng(config.seed * 1000003 + all.size() * 7919 + pid);
                   return config.space.decode(sampler->sample(
                       config.space, make_history(config.space, all, maximize), rng));
                 });
    if (!trial) {
      // With heartbeats, a trial still running elsewhere may yet be lost and retried: wait for
      // it to end (or go stale) before leaving.
      bool running = false;
      if (options.heartbeat_s > 0) {
        for (const auto& t : db.trials()) running |= t.state == TrialState::kRunning;
      }
      if (!running) break;
      std::this_thread::sleep_for(
          std::chrono::duration<double>(std::min(options.heartbeat_s, 1.0)));
      continue;
    }
    const HeartbeatThread beat(at.url, at.name, trial->number, options.heartbeat_s);
    if (!options.quiet) {
      std::fprintf(stderr, "trial %d: %s\n", trial->number, trial->params.dump().c_str());
    }
    const TrialOutcome out = run_trial(config, options, db, *trial);
    db.finish(trial->number, out.state, out.value, out.message);
    if (!options.quiet) {
      std::fprintf(stderr, "trial %d %s%s%s\n", trial->number,
                   std::string(state_name(out.state)).c_str(),
                   out.value ? fmt::format(": value {:.4f}", *out.value).c_str() : "",
                   out.message.empty() ? "" : (": " + out.message).c_str());
    }
  }
}

std::vector<std::string> worker_args(const StudyOptions& o, const StudyLocation& at, int trials,
                                     double timeout_min) {
  std::vector<std::string> a = {
      o.executable.string(),
      "tune",
      "--config",
      o.config.string(),
      "--data",
      o.data_dir.string(),
      "--out",
      o.out.string(),
      "--storage",
      at.url.dialect == SqlDialect::kSqlite ? "sqlite:///" + at.url.path : at.url.conninfo,
      "--study",
      at.name,
      "--trials",
      std::to_string(trials),
      "--timeout-min",
      fmt::format("{}", timeout_min),
      "--heartbeat-s",
      fmt::format("{}", o.heartbeat_s),
      "--grace-s",
      fmt::format("{}", o.grace_s),
      "--worker"};
  if (o.quiet) a.push_back("--quiet");
  if (!o.mlflow_uri.empty()) {
    a.push_back("--mlflow-uri");
    a.push_back(o.mlflow_uri);
  }
  return a;
}

}  // namespace

fs::path trial_dir(const fs::path& study, int number) {
  return study / "trials" / fmt::format("{:04}", number);
}

StudyLocation locate_study(const std::string& folder, const std::string& storage,
                           const std::string& study) {
  StudyLocation at;
  if (!storage.empty()) {
    at.url = parse_storage_url(storage);
    if (at.url.dialect == SqlDialect::kSqlite && !fs::exists(at.url.path)) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("--storage {}: no such file", at.url.shown));
    }
    at.name = study;
    at.folder =
        folder.empty() && !study.empty() ? fs::path("runs") / ("tune-" + study) : fs::path(folder);
    return at;
  }
  if (folder.empty()) {
    throw Error(ErrorCategory::kInvalidArgument,
                "name the study: a study folder, or --storage URL --study NAME");
  }
  if (!fs::exists(fs::path(folder) / "study.db")) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("{}: no study.db (not a study folder)", folder));
  }
  at.url = parse_storage_url("sqlite:///" + (fs::path(folder) / "study.db").string());
  at.name = study;
  at.folder = folder;
  return at;
}

StudySummary run_study(const StudyOptions& options) {
  const TuneConfig config = load_tune_config(options.config);
  const int trials = options.trials > 0 ? options.trials : config.trials;
  const double timeout_min = options.timeout_min >= 0 ? options.timeout_min : config.timeout_min;
  if (options.jobs < 1) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("--jobs must be at least 1, got {}", options.jobs));
  }
  if (options.heartbeat_s < 0) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("--heartbeat-s must be >= 0, got {}", options.heartbeat_s));
  }
  const bool synthetic = !config.objective_function.empty();
  if (!synthetic && !fs::is_regular_file(options.data_dir / "train.csv")) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("--data: {} holds no train.csv", options.data_dir.string()));
  }
  if (!synthetic) {
    for (const auto& p : {config.base_model, config.base_train}) {
      if (!fs::is_regular_file(p)) {
        throw Error(
            ErrorCategory::kInvalidArgument,
            fmt::format("{}: base config {} does not exist", options.config.string(), p.string()));
      }
    }
  }
  if (!config.tokenizer.empty() && !fs::is_regular_file(config.tokenizer)) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("{}: tokenizer {} does not exist", options.config.string(),
                            config.tokenizer.string()));
  }
  StudyLocation at;
  at.folder = options.out;
  at.name = options.study.empty() ? fs::absolute(options.out).lexically_normal().filename().string()
                                  : options.study;
  const bool own_file = options.storage.empty();
  at.url = parse_storage_url(own_file ? "sqlite:///" + (options.out / "study.db").string()
                                      : options.storage);
  if (options.worker) {
    worker_loop(config, options, at, trials, timeout_min);
    return {};
  }
  StudySummary summary;
  if (own_file) {
    // One folder, one study: a second start needs --resume (as before the shared storages).
    const bool exists = fs::exists(options.out / "study.db");
    if (exists && !options.resume) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("{} already holds a study; pass --resume or choose another --out",
                              options.out.string()));
    }
    if (!exists && options.resume) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("--resume: no study in {}", options.out.string()));
    }
  } else if (at.url.dialect == SqlDialect::kSqlite) {
    fs::create_directories(fs::absolute(at.url.path).parent_path());
  }
  fs::create_directories(options.out);
  // A new study folder's study.db appears whole (made beside it, then renamed): a reader never
  // sees the tables without the study.
  const bool fresh_file = own_file && !fs::exists(options.out / "study.db");
  const fs::path temp_db = options.out / "study.db.new";
  if (fresh_file) fs::remove(temp_db);
  {
    StudyDb db(fresh_file ? StorageUrl{SqlDialect::kSqlite, temp_db.string(), "", temp_db.string()}
                          : at.url,
               at.name, true);
    if (db.create_study(!synthetic)) {
      db.set_meta("config", config.source.dump());
      db.set_meta("config_path", options.config.string());
      db.set_meta("data_dir", options.data_dir.string());
      db.set_meta("objective", synthetic ? config.objective_function + " (minimised)"
                                         : "validation accuracy (the trainer's held-out split "
                                           "of train.csv)");
      if (!synthetic) {
        db.set_meta("base_model", read_file(config.base_model));
        db.set_meta("base_train", read_file(config.base_train));
      }
    } else if (db.maximize() == synthetic) {
      throw Error(ErrorCategory::kInvalidArgument,
                  fmt::format("study '{}' in {} has the other direction than {}'s objective",
                              at.name, at.url.shown, options.config.string()));
    }
    if (options.resume) summary.requeued = static_cast<int>(db.requeue_interrupted().size());
  }
  if (fresh_file) fs::rename(temp_db, options.out / "study.db");
  if (options.jobs == 1) {
    worker_loop(config, options, at, trials, timeout_min);
  } else {
    StudyOptions child = options;
    child.executable = options.executable.empty() ? fs::path("/proc/self/exe") : options.executable;
    const std::vector<std::string> args = worker_args(child, at, trials, timeout_min);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<pid_t> pids;
    for (int j = 0; j < options.jobs; ++j) {
      pid_t pid = 0;
      if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
        throw Error(ErrorCategory::kIo, fmt::format("cannot start worker {}", argv[0]));
      }
      pids.push_back(pid);
    }
    int failed_workers = 0;
    for (pid_t pid : pids) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed_workers;
    }
    if (failed_workers > 0) {
      throw Error(ErrorCategory::kInternal,
                  fmt::format("{} of {} workers failed; finished trials are kept, --resume "
                              "continues",
                              failed_workers, options.jobs));
    }
  }
  StudyDb db(at.url, at.name, false);
  summary.trials = db.trials();
  summary.maximize = db.maximize();
  for (const auto& t : summary.trials) {
    summary.complete += t.state == TrialState::kComplete;
    summary.pruned += t.state == TrialState::kPruned;
    summary.failed += t.state == TrialState::kFailed;
  }
  return summary;
}

TrialRecord best_trial(const std::vector<TrialRecord>& trials, const fs::path& study,
                       bool maximize) {
  const TrialRecord* best = nullptr;
  for (const auto& t : trials) {
    if (t.state != TrialState::kComplete || !t.value) continue;
    if (!best || (maximize ? *t.value > *best->value : *t.value < *best->value)) best = &t;
  }
  if (!best) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("{}: no complete trial yet", study.string()));
  }
  return *best;
}

nlohmann::json promote_best_trial(const StudyLocation& study, const fs::path& out) {
  StudyDb db(study.url, study.name, false);
  const TrialRecord best = best_trial(db.trials(), study.url.shown, db.maximize());
  const fs::path root = best.trial_dir.empty() ? study.folder : fs::path(best.trial_dir);
  const fs::path checkpoint = trial_dir(root, best.number) / "checkpoints" / "best.safetensors";
  if (!fs::exists(checkpoint)) {
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("trial {}'s checkpoint {} is not on this host ({} ran it): run "
                            "promote there or copy its trial folder",
                            best.number, checkpoint.string(), best.host));
  }
  nlohmann::json manifest = model::write_bundle(checkpoint, out);
  manifest["tuning"] = {
      {"study", db.study_name()},
      {"storage", study.url.shown},
      {"trial", best.number},
      {"best_valid_accuracy", *best.value},
      {"params", best.params},
      {"sampler", nlohmann::json::parse(db.meta("config").value_or("{}")).value("sampler", "gp")}};
  write_file_atomic(out / "manifest.json", manifest.dump(2) + "\n");
  return manifest;
}

}  // namespace bog::tune
