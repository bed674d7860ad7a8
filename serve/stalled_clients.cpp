#include "serve/stalled_clients.h"

#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "common/error.h"

namespace bog::serve {
namespace {
constexpr const char* kStalledHead = "POST /predict HTTP/1.1\r\nHost: stalled\r\n";
}

int StalledClients::open_one() const {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd >= 0) {
    const std::string head = kStalledHead;
    [[maybe_unused]] const ssize_t n = ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  }
  return fd;
}

StalledClients::StalledClients(const std::string& host, int port, int count)
    : host_(host), port_(port), count_(count) {
  const int probe = open_one();
  if (probe < 0) {
    throw Error(ErrorCategory::kIo,
                fmt::format("loadtest: cannot connect stalled clients to {}:{}", host, port));
  }
  ::close(probe);
  thread_ = std::thread([this] { run(); });
}

StalledClients::~StalledClients() {
  done_.store(true);
  if (thread_.joinable()) thread_.join();
}

void StalledClients::run() {
  std::vector<pollfd> fds;
  for (int i = 0; i < count_; ++i) fds.push_back({open_one(), POLLIN, 0});
  while (!done_.load()) {
    ::poll(fds.data(), fds.size(), 20);
    for (pollfd& p : fds) {
      if (p.fd >= 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      if (p.fd >= 0) {
        char buf[512];
        const ssize_t n = ::recv(p.fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
          if (std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 408", 0) == 0) {
            ++answered_408_;
          }
          while (::recv(p.fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
          }
        }
        ::close(p.fd);
        ++closed_;
      }
      p.fd = open_one();
      p.revents = 0;
    }
  }
  for (const pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
}

}  // namespace bog::serve
