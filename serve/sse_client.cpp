#include "serve/sse_client.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "common/error.h"

namespace bog::serve {

SseClient::SseClient(const std::string& host, int port, double timeout_s) : timeout_s_(timeout_s) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  const std::string ip = host == "localhost" ? "127.0.0.1" : host;
  if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1)
    throw Error(ErrorCategory::kInvalidArgument, fmt::format("not an IPv4 address: {}", host));
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close();
    throw Error(ErrorCategory::kIo, fmt::format("cannot connect to {}:{}", host, port));
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

SseClient::~SseClient() { close(); }

void SseClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool SseClient::fill() {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout_s_ * 1000)) <= 0) return false;
  char chunk[8192];
  const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  raw_.append(chunk, static_cast<size_t>(n));
  buf_.append(chunk, static_cast<size_t>(n));
  return true;
}

int SseClient::request(const std::string& method, const std::string& path,
                       const std::string& body) {
  const std::string req = fmt::format(
      "{} {} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAccept: "
      "text/event-stream, application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
      method, path, body.size(), body);
  size_t off = 0;
  while (off < req.size()) {
    const ssize_t n = ::send(fd_, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may have answered (413) and closed: read that
    off += static_cast<size_t>(n);
  }
  size_t end = std::string::npos;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return 0;
  }
  const std::string head = buf_.substr(0, end);
  buf_.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  for (size_t pos = line_end; pos != std::string::npos && pos < head.size();) {
    const size_t next = head.find("\r\n", pos + 2);
    const std::string line =
        head.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      const size_t v = line.find_first_not_of(' ', colon + 1);
      headers_.emplace_back(name, v == std::string::npos ? "" : line.substr(v));
    }
    pos = next;
  }
  const size_t sp = status_line.find(' ');
  return sp == std::string::npos ? 0 : std::atoi(status_line.c_str() + sp + 1);
}

std::string SseClient::header(const std::string& name) const {
  for (const auto& [n, v] : headers_) {
    if (n == name) return v;
  }
  return "";
}

bool SseClient::next_event(std::string& data) {
  for (;;) {
    const size_t end = buf_.find("\n\n");
    if (end != std::string::npos) {
      const std::string event = buf_.substr(0, end);
      buf_.erase(0, end + 2);
      data.clear();
      bool any = false;
      for (size_t pos = 0; pos <= event.size();) {
        const size_t nl = std::min(event.find('\n', pos), event.size());
        const std::string line = event.substr(pos, nl - pos);
        if (line.rfind("data:", 0) == 0) {
          if (any) data += "\n";
          data += line.substr(line.size() > 5 && line[5] == ' ' ? 6 : 5);
          any = true;
        }
        pos = nl + 1;
      }
      if (any) return true;
      continue;  // a comment or an event without data
    }
    if (!fill()) return false;
  }
}

std::string SseClient::read_body() {
  while (fill()) {
  }
  std::string out;
  out.swap(buf_);
  return out;
}

}  // namespace bog::serve
