#include "tune/run_tracker.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <random>
#include <thread>

#include "common/atomic_file.h"
#include "common/error.h"
#include "model/bundle.h"
#include "tune/mlflow_client.h"

namespace bog::tune {
namespace fs = std::filesystem;
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string new_run_id() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(now_ms()) ^
                      static_cast<uint64_t>(::getpid()));
  return fmt::format("{:016x}{:016x}", rng(), rng());
}

std::string scalar_text(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

nlohmann::json system_info() {
  utsname u{};
  ::uname(&u);
  return {{"host_cpu", model::host_cpu_model()},
          {"cores", std::thread::hardware_concurrency()},
          {"os", fmt::format("{} {}", u.sysname, u.release)},
          {"machine", u.machine}};
}

}  // namespace

nlohmann::json flatten(const nlohmann::json& j, const std::string& prefix) {
  nlohmann::json out = nlohmann::json::object();
  if (!j.is_object()) {
    out[prefix] = j;
    return out;
  }
  for (const auto& [k, v] : j.items()) {
    const std::string key = prefix.empty() ? k : prefix + "." + k;
    if (v.is_object()) {
      out.update(flatten(v, key));
    } else {
      out[key] = v;
    }
  }
  return out;
}

std::string git_commit() {
  std::string out;
  if (FILE* p = ::popen("git rev-parse HEAD 2>/dev/null", "r")) {
    char buf[128];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.size() == 40 ? out : "unknown";
}

RunTracker::RunTracker(fs::path run_dir, RunStart start) : dir_(std::move(run_dir)) {
  fs::create_directories(dir_);
  record_ = {{"run_id", new_run_id()},
             {"name", start.name},
             {"kind", start.kind},
             {"status", "RUNNING"},
             {"start_time_ms", now_ms()},
             {"end_time_ms", nullptr},
             {"params", flatten(start.params)},
             {"tags", start.tags},
             {"metrics", nlohmann::json::array()},
             {"system", system_info()},
             {"git_commit", git_commit()},
             {"artifacts", nlohmann::json::array()},
             {"summary", nlohmann::json::object()}};
  save();
  if (!start.mlflow_uri.empty()) {
    mlflow_ = std::make_unique<MlflowClient>(start.mlflow_uri);
    remote([&] {
      KeyValues tags = {{"mlflow.runName", start.name},
                        {"bog.kind", start.kind},
                        {"bog.run_id", record_["run_id"].get<std::string>()},
                        {"mlflow.source.git.commit", record_["git_commit"].get<std::string>()}};
      for (const auto& [k, v] : start.tags.items()) tags.emplace_back(k, scalar_text(v));
      mlflow_run_id_ =
          mlflow_->create_run(start.name, record_["start_time_ms"].get<int64_t>(), tags);
      KeyValues params;
      for (const auto& [k, v] : record_["params"].items()) params.emplace_back(k, scalar_text(v));
      KeyValues system;
      for (const auto& [k, v] : record_["system"].items()) {
        system.emplace_back("sys." + k, scalar_text(v));
      }
      mlflow_->log_batch(mlflow_run_id_, {}, params, system);
    });
  }
}

RunTracker::~RunTracker() = default;

void RunTracker::save() { write_file_atomic(dir_ / "run.json", record_.dump(2) + "\n"); }

void RunTracker::remote(const std::function<void()>& call) {
  if (!mlflow_) return;
  try {
    call();
  } catch (const Error& e) {
    spdlog::warn("mlflow logging stopped (the local record in {} is complete): {}",
                 (dir_ / "run.json").string(), e.what());
    mlflow_.reset();
  }
}

void RunTracker::log_epoch(int epoch, const nlohmann::json& metrics) {
  const int64_t t = now_ms();
  std::vector<MetricPoint> points;
  const nlohmann::json flat = flatten(metrics);  // items() must not outlive its object
  for (const auto& [k, v] : flat.items()) {
    if (!v.is_number()) continue;
    record_["metrics"].push_back({{"key", k}, {"value", v}, {"step", epoch}, {"timestamp_ms", t}});
    points.push_back({k, v.get<double>(), t, epoch});
  }
  save();
  remote([&] { mlflow_->log_batch(mlflow_run_id_, points, {}, {}); });
}

void RunTracker::finish(const std::string& status, const nlohmann::json& summary,
                        const std::vector<std::string>& artifacts) {
  record_["status"] = status;
  record_["end_time_ms"] = now_ms();
  record_["summary"] = summary;
  record_["artifacts"] = artifacts;
  save();
  remote([&] {
    KeyValues tags;
    const nlohmann::json flat = flatten(summary);
    for (const auto& [k, v] : flat.items()) tags.emplace_back("summary." + k, scalar_text(v));
    for (const auto& a : artifacts) tags.emplace_back("artifact." + a, (dir_ / a).string());
    if (!tags.empty()) mlflow_->log_batch(mlflow_run_id_, {}, {}, tags);
    mlflow_->update_run(mlflow_run_id_, status, record_["end_time_ms"].get<int64_t>());
  });
}

std::vector<nlohmann::json> find_runs(const fs::path& root) {
  std::vector<nlohmann::json> runs;
  if (!fs::is_directory(root)) return runs;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_directory() && it.depth() > 3) it.disable_recursion_pending();
    if (it->path().filename() != "run.json") continue;
    nlohmann::json j = nlohmann::json::parse(read_file(it->path()), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("run_id")) continue;
    j["dir"] = it->path().parent_path().string();
    runs.push_back(std::move(j));
  }
  std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) {
    return a.value("start_time_ms", int64_t{0}) < b.value("start_time_ms", int64_t{0});
  });
  return runs;
}

nlohmann::json load_run(const std::string& ref, const fs::path& root) {
  fs::path p(ref);
  if (fs::is_directory(p)) p /= "run.json";
  if (fs::is_regular_file(p)) {
    nlohmann::json j = nlohmann::json::parse(read_file(p), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("run_id")) {
      throw Error(ErrorCategory::kInvalidArgument, fmt::format("{}: not a run record", p.string()));
    }
    j["dir"] = p.parent_path().string();
    return j;
  }
  std::vector<nlohmann::json> hits;
  for (auto& r : find_runs(root)) {
    if (r["run_id"].get<std::string>().starts_with(ref) || r.value("name", "") == ref) {
      hits.push_back(std::move(r));
    }
  }
  if (hits.size() == 1) return hits[0];
  throw Error(ErrorCategory::kInvalidArgument,
              hits.empty()
                  ? fmt::format("no run '{}' (a run folder, or an id below {})", ref, root.string())
                  : fmt::format("'{}' matches {} runs; give more of the id", ref, hits.size()));
}

}  // namespace bog::tune
