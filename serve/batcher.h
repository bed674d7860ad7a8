// Dynamic batching: texts from concurrent requests wait in one bounded queue; a single worker
// takes up to max_batch of them per session run, waiting at most max_wait for company after
// the first arrives. A full queue refuses new texts (the server answers 503 + Retry-After), so
// memory never grows without bound.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "serve/classifier.h"

namespace bog::serve {

struct BatcherOptions {
  int max_batch = 32;
  std::chrono::microseconds max_wait{2000};
  int queue_capacity = 256;
};

class Batcher {
 public:
  using RunBatch = std::function<std::vector<Probabilities>(std::span<const Encoded* const>)>;
  using OnBatch = std::function<void(int size)>;  // after each run, with its batch size

  Batcher(RunBatch run, BatcherOptions options, OnBatch on_batch = {});
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues every text or none: nullopt when the queue has no room for all of them (or the
  // batcher is stopping). Each future yields that text's result, or rethrows the run's error.
  [[nodiscard]] std::optional<std::vector<std::future<Probabilities>>> submit(
      std::vector<Encoded> texts);

  [[nodiscard]] int depth() const;  // texts waiting now
  // Runs what is queued, then ends the worker. Idempotent.
  void stop();

 private:
  struct Item {
    Encoded encoded;
    std::promise<Probabilities> promise;
    std::chrono::steady_clock::time_point queued_at;
  };
  void work();

  RunBatch run_;
  BatcherOptions options_;
  OnBatch on_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Item>> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace bog::serve
