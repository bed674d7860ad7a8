// Helpers for the serving tests: an in-process server on a free loopback port over the shipped
// bundle's export, a real HTTP client, `bog predict` as the reference, and child processes
// (`bog serve`, chromium) whose output is read as it comes.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "serve/server.h"
#include "serve/serving_config.h"

// After Eigen (through serve/server.h): httplib.h pulls in <resolv.h>, whose `_res` macro
// breaks Eigen's product kernels. Tests include httplib through this header.
#include <httplib.h>

namespace bog::serve_test {

// models/agnews-tiny-llama in the source tree.
std::filesystem::path bundle_dir();
// That bundle exported once per test process by `bog export` (BOG_EXE), in a temp folder.
const std::filesystem::path& exported_onnx();
// models/agnews-lm in the source tree, and its export (once per test process).
std::filesystem::path lm_bundle_dir();
const std::filesystem::path& exported_lm_onnx();

// Defaults for tests: the bundle, loopback, port 0, cpu provider.
serve::ServingConfig test_config();

// A server answering on 127.0.0.1:<port>, loaded and ready.
struct RunningServer {
  std::unique_ptr<serve::Server> server;
  int port = 0;
};
RunningServer start_server(const serve::ServingConfig& config);

// The shipped LM (models/agnews-lm) served with the OpenAI routes: its bundle, loopback, port 0.
serve::ServingConfig lm_test_config();
// A generation server, loaded and ready; `before_step` runs on the scheduler thread before
// every decode step (tests slow it down to catch a stream mid-way).
RunningServer start_lm(const serve::ServingConfig& config, std::function<void()> before_step = {});

// `bog predict --json` for texts: {"label", "probs": {label: p}} per text, in order.
std::vector<nlohmann::json> bog_predict(const std::vector<std::string>& texts);

// A child process with its stdout (and stderr) readable line by line.
class Child {
 public:
  Child(const std::string& exe, const std::vector<std::string>& args,
        const std::vector<std::string>& extra_env = {});
  ~Child();  // SIGKILL if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // Next line of output, or "" at end of output / after timeout_s.
  std::string read_line(double timeout_s);
  // Everything until the output ends or timeout_s passes.
  std::string read_all(double timeout_s);
  void signal(int sig);
  // Exit code (128 + signal when killed); waits.
  int wait();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buffer_;
  bool exited_ = false;
  int status_ = 0;
};

// Runs a program, returns its exit code and stdout+stderr.
struct Output {
  int exit_code = -1;
  std::string text;
};
Output run_program(const std::string& exe, const std::vector<std::string>& args, double timeout_s);

// Finds an executable in PATH; "" when absent.
std::string find_in_path(const std::vector<std::string>& names);

}  // namespace bog::serve_test
