// A small blocking HTTP/1.1 client for one request whose answer may be a server-sent-events
// stream, read event by event as it comes: what `bog loadtest --generate` measures time to
// first token and inter-token latency with, and what the wire-format tests read raw bytes with.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace bog::serve {

class SseClient {
 public:
  // Connects to host:port (IPv4 dotted or "localhost"); Error(kIo) when it cannot.
  SseClient(const std::string& host, int port, double timeout_s);
  ~SseClient();
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  // Sends `method path` with a JSON body (Connection: close) and reads the head; returns the
  // status, 0 when no head came before the timeout or the connection closed.
  int request(const std::string& method, const std::string& path, const std::string& body);
  // The head's header value (name lower-case), "" when absent.
  [[nodiscard]] std::string header(const std::string& name) const;
  // The next event's data lines joined by "\n"; false at the end of the stream (closed or
  // timed out).
  bool next_event(std::string& data);
  // The rest of the body until the server closes (for non-stream answers).
  std::string read_body();
  // Every byte received so far, head included.
  [[nodiscard]] const std::string& raw() const { return raw_; }
  // Closes the connection (as a client that leaves mid-stream).
  void close();

 private:
  bool fill();  // one recv into buf_; false on close or timeout
  int fd_ = -1;
  double timeout_s_;
  std::string raw_, buf_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace bog::serve
