// Stalled clients for `bog loadtest --stalled N`: N loopback-or-remote connections that send a
// request line and one header, then nothing; each one the server closes is opened again, so N
// hang on for the whole run (issue 29's slow-client load).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace bog::serve {

class StalledClients {
 public:
  // Opens them (Error(kIo) when the first cannot connect) and keeps them up until destroyed.
  StalledClients(const std::string& host, int port, int count);
  ~StalledClients();
  StalledClients(const StalledClients&) = delete;
  StalledClients& operator=(const StalledClients&) = delete;
  // Connections the server closed (and that were opened again), and whether each was a 408.
  [[nodiscard]] int64_t closed_by_server() const { return closed_.load(); }
  [[nodiscard]] int64_t answered_408() const { return answered_408_.load(); }

 private:
  void run();
  int open_one() const;
  std::string host_;
  int port_;
  int count_;
  std::atomic<bool> done_{false};
  std::atomic<int64_t> closed_{0}, answered_408_{0};
  std::thread thread_;
};

}  // namespace bog::serve
