#include "tests/serve/serve_test_util.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <stdexcept>

#include "common/atomic_file.h"
#include "common/build_paths.h"
#include "serve/lm_loader.h"
#include "serve/model_loader.h"
#include "tests/cli/cli_test_util.h"

extern char** environ;

namespace bog::serve_test {
namespace fs = std::filesystem;

fs::path bundle_dir() { return fs::path(bog::source_dir()) / "models" / "agnews-tiny-llama"; }

namespace {

// `bog export --bundle DIR` into a temp folder kept for the test process.
fs::path export_bundle_once(const fs::path& bundle, const char* name) {
  static const cli_test::TempDir dir;
  const fs::path p = dir / name;
  const cli_test::RunResult r =
      cli_test::run_bog({"export", "--bundle", bundle.string(), "--out", p.string()});
  if (r.exit_code != 0) throw std::runtime_error("bog export failed: " + r.err);
  return p;
}

}  // namespace

const fs::path& exported_onnx() {
  static const fs::path path = export_bundle_once(bundle_dir(), "model.onnx");
  return path;
}

fs::path lm_bundle_dir() { return fs::path(bog::source_dir()) / "models" / "agnews-lm"; }

const fs::path& exported_lm_onnx() {
  static const fs::path path = export_bundle_once(lm_bundle_dir(), "lm.onnx");
  return path;
}

serve::ServingConfig test_config() {
  serve::ServingConfig c;
  c.bundle = bundle_dir().string();
  c.host = "127.0.0.1";
  c.port = 0;
  c.provider = "cpu";
  c.http_threads = 96;
  c.evidence_dir = (fs::path(bog::source_dir()) / "docs" / "evidence").string();
  return c;
}

RunningServer start_server(const serve::ServingConfig& config) {
  serve::validate(config);
  const fs::path onnx = exported_onnx();
  RunningServer s;
  s.server = std::make_unique<serve::Server>(config, [config, onnx] {
    return serve::load_classifier(config, read_file(onnx), onnx.parent_path());
  });
  s.port = s.server->bind();
  s.server->start();
  s.server->wait_until_loaded();
  return s;
}

serve::ServingConfig lm_test_config() {
  serve::ServingConfig c;
  c.bundle = lm_bundle_dir().string();
  c.host = "127.0.0.1";
  c.port = 0;
  c.http_threads = 64;
  return c;
}

RunningServer start_lm(const serve::ServingConfig& c, std::function<void()> before_step) {
  serve::validate(c);
  RunningServer s;
  s.server = std::make_unique<serve::Server>(
      c, serve::Server::GenerationLoader([c, before_step = std::move(before_step)] {
        return serve::load_generation_service(c, exported_lm_onnx(),
                                              serve::read_lm_bundle(lm_bundle_dir()), before_step);
      }));
  s.port = s.server->bind();
  s.server->start();
  s.server->wait_until_loaded();
  return s;
}

std::vector<nlohmann::json> bog_predict(const std::vector<std::string>& texts) {
  const cli_test::TempDir dir;
  std::string lines;
  for (const std::string& t : texts) lines += t + "\n";
  cli_test::write_bytes(dir / "texts.txt", lines);
  const cli_test::RunResult r =
      cli_test::run_bog({"predict", "--bundle", bundle_dir().string(), "--file",
                         (dir / "texts.txt").string(), "--json"});
  if (r.exit_code != 0) throw std::runtime_error("bog predict failed: " + r.err);
  const nlohmann::json j = nlohmann::json::parse(r.out);
  return j.at("predictions").get<std::vector<nlohmann::json>>();
}

Child::Child(const std::string& exe, const std::vector<std::string>& args,
             const std::vector<std::string>& extra_env) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const std::string& e : extra_env) env_strings.push_back(e);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    // The test process may block signals in some threads; the child starts clean.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<std::string> copies = args;
    std::string exe_copy = exe;
    std::vector<char*> argv = {exe_copy.data()};
    for (std::string& a : copies) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    execve(exe.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(fds[1]);
  fd_ = fds[0];
}

Child::~Child() {
  if (!exited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    wait();
  }
  if (fd_ >= 0) close(fd_);
}

std::string Child::read_line(double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int>(timeout_s * 1000));
  for (;;) {
    const size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || fd_ < 0) return "";
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
    char chunk[4096];
    const ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n <= 0) {
      std::string rest = std::move(buffer_);
      buffer_.clear();
      close(fd_);
      fd_ = -1;
      return rest;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

void Child::signal(int sig) {
  if (!exited_) kill(pid_, sig);
}

int Child::wait() {
  if (!exited_) {
    waitpid(pid_, &status_, 0);
    exited_ = true;
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

std::string Child::read_all(double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int>(timeout_s * 1000));
  while (fd_ >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char chunk[4096];
    const ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n <= 0) {
      close(fd_);
      fd_ = -1;
      break;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  std::string all = std::move(buffer_);
  buffer_.clear();
  return all;
}

Output run_program(const std::string& exe, const std::vector<std::string>& args, double timeout_s) {
  Child child(exe, args);
  Output out;
  out.text = child.read_all(timeout_s);
  child.signal(SIGKILL);  // only if it outlived the timeout
  out.exit_code = child.wait();
  return out;
}

std::string find_in_path(const std::vector<std::string>& names) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  for (const std::string& name : names) {
    std::string dirs = path;
    size_t start = 0;
    while (start <= dirs.size()) {
      const size_t end = std::min(dirs.find(':', start), dirs.size());
      const fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
      start = end + 1;
    }
  }
  return "";
}

}  // namespace bog::serve_test
