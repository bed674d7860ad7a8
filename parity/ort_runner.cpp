#include "parity/ort_runner.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/build_paths.h"
#include "common/error.h"
#include "onnx_runtime/proto_io.h"

namespace bog::parity {
namespace fs = std::filesystem;

namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `command` through the shell, capturing stdout and stderr.
CommandResult run_command(const std::string& command, const fs::path& scratch) {
  const fs::path err_file = scratch / "stderr.txt";
  const std::string full = command + " 2>" + shell_quote(err_file.string());
  CommandResult r;
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) throw Error(ErrorCategory::kIo, "cannot start the ONNX Runtime runner");
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  std::error_code ec;
  if (fs::exists(err_file, ec)) r.err = read_file(err_file);
  return r;
}

std::string first_line(const std::string& s) {
  const size_t nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

bool has_command(const char* name) {
  return std::system(fmt::format("command -v {} >/dev/null 2>&1", name).c_str()) == 0;
}

std::vector<fs::path> candidate_dirs() {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("BOG_ORT_DIR")) dirs.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back(exe.parent_path().parent_path() / "bench" / "ort");
    dirs.push_back(exe.parent_path().parent_path().parent_path() / "bench" / "ort");
  }
  dirs.push_back(fs::path(source_dir()) / "bench" / "ort");
  return dirs;
}

// A scratch directory removed on scope exit.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string templ = (fs::temp_directory_path() / "bog-ort-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) {
      throw Error(ErrorCategory::kIo, "cannot create a temporary directory for ONNX Runtime");
    }
    path = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

std::string OrtRunner::why_unavailable() {
  if (!has_command("node")) return "node not found on PATH";
  for (const fs::path& d : candidate_dirs()) {
    std::error_code ec;
    if (fs::exists(d / "run_ort.js", ec) &&
        fs::exists(d / "node_modules" / "onnxruntime-node", ec)) {
      return "";
    }
  }
  return "onnxruntime-node not installed (run `make ort-deps`: npm ci --ignore-scripts in "
         "bench/ort)";
}

std::optional<OrtRunner> OrtRunner::find() {
  if (!has_command("node")) return std::nullopt;
  for (const fs::path& d : candidate_dirs()) {
    std::error_code ec;
    if (!fs::exists(d / "run_ort.js", ec) ||
        !fs::exists(d / "node_modules" / "onnxruntime-node", ec)) {
      continue;
    }
    ScratchDir scratch;
    const CommandResult r = run_command(
        fmt::format("node {} --version", shell_quote((d / "run_ort.js").string())), scratch.path);
    if (r.exit_code != 0) continue;
    try {
      const auto j = nlohmann::json::parse(r.out);
      return OrtRunner(fs::absolute(d), j.at("ort_version").get<std::string>());
    } catch (const std::exception&) {
      continue;
    }
  }
  return std::nullopt;
}

namespace {

void write_feeds(const fs::path& dir, const OrtRunner::Feeds& inputs) {
  fs::create_directories(dir);
  for (size_t k = 0; k < inputs.size(); ++k) {
    runtime::write_value_file(
        dir / fmt::format("input_{}.pb", k),
        runtime::Value::from_tensor(inputs[k].second->view(inputs[k].second->shape())),
        inputs[k].first);
  }
}

// Runs the runner; ORT's own one-line message (under our category) when it fails.
nlohmann::json run_runner(const std::string& cmd, const fs::path& scratch,
                          const std::string& version) {
  const CommandResult r = run_command(cmd, scratch);
  if (r.exit_code != 0) {
    std::string msg = first_line(r.err);
    // The runner prints "error[category]: message"; keep ORT's message, our category.
    if (const size_t p = msg.find("]: "); msg.rfind("error[", 0) == 0 && p != std::string::npos) {
      msg = msg.substr(p + 3);
    }
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("ONNX Runtime {}: {}", version, msg.empty() ? "runner failed" : msg));
  }
  try {
    return nlohmann::json::parse(r.out);
  } catch (const std::exception&) {
    throw Error(ErrorCategory::kInternal, "ONNX Runtime runner printed no JSON result");
  }
}

void read_outputs(const nlohmann::json& outputs, const fs::path& dir, OrtRunResult& res) {
  for (const auto& o : outputs) {
    res.output_names.push_back(o.at("name").get<std::string>());
    runtime::TypeInfo t;
    res.outputs.push_back(
        runtime::read_value_file(dir / o.at("file").get<std::string>(), t).tensor);
  }
}

}  // namespace

OrtRunResult OrtRunner::run(const fs::path& model, const Feeds& inputs,
                            const OrtRunOptions& options) const {
  ScratchDir scratch;
  const fs::path in_dir = scratch.path / "in";
  const fs::path out_dir = scratch.path / "out";
  write_feeds(in_dir, inputs);
  fs::create_directories(out_dir);
  const std::string cmd = fmt::format(
      "node {} --model {} --input-dir {} --output-dir {} --threads {} --spinning {} --warmup {} "
      "--iterations {}",
      shell_quote((dir_ / "run_ort.js").string()), shell_quote(fs::absolute(model).string()),
      shell_quote(in_dir.string()), shell_quote(out_dir.string()), options.threads,
      options.allow_spinning ? 1 : 0, options.warmup, options.iterations);
  const nlohmann::json j = run_runner(cmd, scratch.path, version_);
  OrtRunResult res;
  res.version = j.value("ort_version", version_);
  res.provider = j.value("provider", "cpu");
  res.threads = j.value("threads", options.threads);
  res.allow_spinning = j.value("allow_spinning", "0");
  read_outputs(j.at("outputs"), out_dir, res);
  for (const auto& v : j.at("latency_ms").at("samples"))
    res.latencies_ms.push_back(v.get<double>());
  if (j.contains("peak_rss_mb") && j["peak_rss_mb"].is_number()) {
    res.peak_rss_mb = j["peak_rss_mb"].get<double>();
  }
  return res;
}

std::vector<OrtRunResult> OrtRunner::run_sets(const fs::path& model, const std::vector<Feeds>& sets,
                                              const OrtRunOptions& options) const {
  ScratchDir scratch;
  const fs::path in_dir = scratch.path / "sets";
  const fs::path out_dir = scratch.path / "out";
  fs::create_directories(in_dir);
  fs::create_directories(out_dir);
  for (size_t i = 0; i < sets.size(); ++i) write_feeds(in_dir / fmt::format("set_{}", i), sets[i]);
  const std::string cmd =
      fmt::format("node {} --model {} --input-sets {} --output-dir {} --threads {} --spinning {}",
                  shell_quote((dir_ / "run_ort.js").string()),
                  shell_quote(fs::absolute(model).string()), shell_quote(in_dir.string()),
                  shell_quote(out_dir.string()), options.threads, options.allow_spinning ? 1 : 0);
  const nlohmann::json j = run_runner(cmd, scratch.path, version_);
  const nlohmann::json& got = j.at("sets");
  if (got.size() != sets.size()) {
    throw Error(
        ErrorCategory::kInternal,
        fmt::format("ONNX Runtime runner returned {} of {} input sets", got.size(), sets.size()));
  }
  std::vector<OrtRunResult> out(sets.size());
  for (size_t i = 0; i < sets.size(); ++i) {
    OrtRunResult& res = out[i];
    res.version = j.value("ort_version", version_);
    res.provider = j.value("provider", "cpu");
    res.threads = j.value("threads", options.threads);
    res.allow_spinning = j.value("allow_spinning", "0");
    read_outputs(got[i].at("outputs"), out_dir / got[i].at("set").get<std::string>(), res);
  }
  return out;
}

OrtGenerateResult OrtRunner::generate(const fs::path& model,
                                      const std::vector<std::vector<int64_t>>& prompts,
                                      const OrtGenerateOptions& options) const {
  const fs::path script = dir_ / "generate_ort.js";
  std::error_code ec;
  if (!fs::exists(script, ec)) {
    throw Error(ErrorCategory::kUnsupported,
                fmt::format("the ONNX Runtime runner in {} has no generate_ort.js", dir_.string()));
  }
  std::string ids;
  for (size_t r = 0; r < prompts.size(); ++r) {
    if (r > 0) ids += ';';
    ids += fmt::format("{}", fmt::join(prompts[r], ","));
  }
  ScratchDir scratch;
  std::string cmd = fmt::format(
      "node {} --model {} --prompt-ids {} --new-tokens {} --threads {} --spinning {} --warmup {} "
      "--pad-id {}",
      shell_quote(script.string()), shell_quote(fs::absolute(model).string()), shell_quote(ids),
      options.new_tokens, options.threads, options.allow_spinning ? 1 : 0, options.warmup,
      options.pad_id);
  if (!options.logits_file.empty())
    cmd += " --dump-logits " + shell_quote(fs::absolute(options.logits_file).string());
  const nlohmann::json j = run_runner(cmd, scratch.path, version_);
  OrtGenerateResult res;
  try {
    res.version = j.value("ort_version", version_);
    res.provider = j.value("provider", "cpu");
    res.threads = j.value("threads", options.threads);
    res.allow_spinning = j.value("allow_spinning", "");
    res.tokens = j.at("tokens").get<std::vector<std::vector<int64_t>>>();
    res.prefill_ms = j.at("prefill_ms").get<double>();
    res.decode_ms = j.at("decode_ms").get<std::vector<double>>();
    if (!j.at("decode_ms_p50").is_null()) res.decode_ms_p50 = j.at("decode_ms_p50").get<double>();
    if (!j.at("decode_tokens_per_s").is_null())
      res.decode_tokens_per_s = j.at("decode_tokens_per_s").get<double>();
    if (!options.logits_file.empty())
      res.logits_dims = j.at("logits_dims").get<std::vector<std::vector<int64_t>>>();
    if (j.contains("peak_rss_mb") && j["peak_rss_mb"].is_number())
      res.peak_rss_mb = j["peak_rss_mb"].get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCategory::kInternal,
                fmt::format("ONNX Runtime generation runner: unexpected JSON ({})", e.what()));
  }
  if (res.tokens.size() != prompts.size()) {
    throw Error(ErrorCategory::kInternal,
                fmt::format("ONNX Runtime generation runner returned {} of {} rows",
                            res.tokens.size(), prompts.size()));
  }
  return res;
}

}  // namespace bog::parity
