// The threads around the HTTP event loop (http_server.cpp): the mailbox workers and stream
// producers post to (an eventfd wakes the loop), the sink an SSE producer writes through, and
// the pool of workers that run complete requests.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "serve/http_message.h"
#include "serve/http_server.h"

namespace bog::serve::detail {

// It outlives the server while a producer still holds a sink: posting after close() is a no-op.
class Mailbox {
 public:
  struct Event {
    enum Kind { kResponse, kStreamData, kStreamEnd } kind = kResponse;
    uint64_t id = 0;  // the connection
    HttpResponse response;
    bool keep_alive = false;
    bool head_only = false;
    std::string path;
    std::string data;
  };
  Mailbox();  // Error(kIo) when no eventfd
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;
  [[nodiscard]] int fd() const { return fd_; }
  // False once closed.
  bool post(Event e);
  void wake() const;
  [[nodiscard]] std::vector<Event> take();
  void close();

 private:
  int fd_;
  std::mutex mu_;
  std::vector<Event> events_;
  bool closed_ = false;
};

class Sink final : public StreamSink {
 public:
  Sink(std::shared_ptr<Mailbox> mailbox, uint64_t id) : mailbox_(std::move(mailbox)), id_(id) {}
  bool send(std::string bytes) override;
  void close() override;
  [[nodiscard]] bool open() const override { return alive_.load(); }
  void kill() { alive_.store(false); }  // the loop closed the connection

 private:
  std::shared_ptr<Mailbox> mailbox_;
  uint64_t id_;
  std::atomic<bool> alive_{true};
};

class WorkerPool {
 public:
  explicit WorkerPool(int n) : n_(n) {}
  ~WorkerPool() { join(); }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  void start();
  void push(std::function<void()> task);
  // Runs what is queued, then ends the threads. Idempotent.
  void join();

 private:
  void run();
  int n_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool done_ = false;
};

}  // namespace bog::serve::detail
