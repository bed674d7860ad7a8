#include "conformance/sandbox.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

#include "common/error.h"

namespace bog::conformance {
namespace {

using Clock = std::chrono::steady_clock;

struct Child {
  size_t index = 0;
  pid_t pid = -1;
  int fd = -1;
  bool eof = false;
  Clock::time_point start;
  SandboxResult result;
};

void apply_memory_limit(size_t memory_mb) {
#if defined(__SANITIZE_ADDRESS__)
  (void)memory_mb;  // ASan reserves terabytes of shadow address space; a cap breaks it.
#else
  if (memory_mb == 0) return;
  const rlim_t bytes = static_cast<rlim_t>(memory_mb) * 1024 * 1024;
  const rlimit limit{bytes, bytes};
  setrlimit(RLIMIT_AS, &limit);
#endif
}

Child spawn(size_t index, const SandboxLimits& limits,
            const std::function<void(size_t, int)>& work) {
  int fds[2];
  if (pipe(fds) != 0) {
    throw Error(ErrorCategory::kIo, fmt::format("pipe failed: {}", std::strerror(errno)));
  }
  // Buffered output would otherwise be flushed twice, once by the child.
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    throw Error(ErrorCategory::kIo, fmt::format("fork failed: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    close(fds[0]);
    apply_memory_limit(limits.memory_mb);
    int code = 0;
    try {
      work(index, fds[1]);
    } catch (...) {  // the task reports its own errors; anything left is an abnormal end
      code = 70;
    }
    close(fds[1]);
    _exit(code);  // no atexit handlers, no stdio flush: the parent owns those
  }
  close(fds[1]);
  // Non-blocking, so reading a hung child's pipe never stops the clock on its time limit.
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  Child c;
  c.index = index;
  c.pid = pid;
  c.fd = fds[0];
  c.start = Clock::now();
  return c;
}

void drain(Child& c) {
  char buf[65536];
  for (;;) {
    const ssize_t n = read(c.fd, buf, sizeof buf);
    if (n > 0) {
      c.result.output.append(buf, static_cast<size_t>(n));
      if (n < static_cast<ssize_t>(sizeof buf)) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (n < 0 && errno != EAGAIN)) c.eof = true;
    return;
  }
}

void reap(Child& c) {
  int status = 0;
  while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) c.result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) c.result.signal = WTERMSIG(status);
  c.result.seconds = std::chrono::duration<double>(Clock::now() - c.start).count();
  close(c.fd);
}

}  // namespace

bool write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string describe_abnormal_end(const SandboxResult& r, const SandboxLimits& limits) {
  if (r.timed_out) return fmt::format("timed out after {:g} s", limits.timeout_s);
  if (r.signal != 0) {
    const char* what = strsignal(r.signal);
    return fmt::format("killed by signal {} ({})", r.signal, what ? what : "?");
  }
  return fmt::format("exited with code {} without a report", r.exit_code);
}

void run_sandboxed(size_t count, int jobs, const SandboxLimits& limits,
                   const std::function<void(size_t, int)>& work,
                   const std::function<void(size_t, SandboxResult)>& on_done) {
  // A child killed mid-write must not kill us with SIGPIPE on a later write elsewhere.
  signal(SIGPIPE, SIG_IGN);
  const size_t max_running = static_cast<size_t>(jobs < 1 ? 1 : jobs);
  std::vector<Child> running;
  size_t next = 0;
  while (next < count || !running.empty()) {
    while (next < count && running.size() < max_running)
      running.push_back(spawn(next++, limits, work));

    std::vector<pollfd> polls;
    for (const Child& c : running) polls.push_back({c.fd, POLLIN, 0});
    const int ready = poll(polls.data(), polls.size(), 50);
    if (ready < 0 && errno != EINTR) {
      throw Error(ErrorCategory::kIo, fmt::format("poll failed: {}", std::strerror(errno)));
    }
    const auto now = Clock::now();
    for (size_t k = 0; k < running.size();) {
      Child& c = running[k];
      if (ready > 0 && (polls[k].revents & (POLLIN | POLLHUP | POLLERR)) != 0) drain(c);
      const double elapsed = std::chrono::duration<double>(now - c.start).count();
      if (!c.eof && elapsed > limits.timeout_s) {
        kill(c.pid, SIGKILL);
        c.result.timed_out = true;
        c.eof = true;
      }
      if (c.eof) {
        reap(c);
        const size_t index = c.index;
        SandboxResult result = std::move(c.result);
        running.erase(running.begin() + static_cast<std::ptrdiff_t>(k));
        polls.erase(polls.begin() + static_cast<std::ptrdiff_t>(k));
        on_done(index, std::move(result));
        continue;
      }
      ++k;
    }
  }
}

}  // namespace bog::conformance
