#include "serve/batcher.h"

#include <exception>

namespace bog::serve {

Batcher::Batcher(RunBatch run, BatcherOptions options, OnBatch on_batch)
    : run_(std::move(run)), options_(options), on_batch_(std::move(on_batch)) {
  worker_ = std::thread([this] { work(); });
}

Batcher::~Batcher() { stop(); }

std::optional<std::vector<std::future<Probabilities>>> Batcher::submit(std::vector<Encoded> texts) {
  std::vector<std::future<Probabilities>> futures;
  {
    const std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() + texts.size() > static_cast<size_t>(options_.queue_capacity)) {
      return std::nullopt;
    }
    const auto now = std::chrono::steady_clock::now();
    futures.reserve(texts.size());
    for (Encoded& e : texts) {
      auto item = std::make_unique<Item>();
      item->encoded = std::move(e);
      item->queued_at = now;
      futures.push_back(item->promise.get_future());
      queue_.push_back(std::move(item));
    }
  }
  cv_.notify_all();
  return futures;
}

int Batcher::depth() const {
  const std::lock_guard lock(mu_);
  return static_cast<int>(queue_.size());
}

void Batcher::stop() {
  {
    const std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void Batcher::work() {
  const size_t max_batch = static_cast<size_t>(options_.max_batch);
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to run
    // The oldest text waits up to max_wait for company; a full batch goes at once. Texts that
    // queued while the previous batch ran are already past their deadline: no extra wait.
    const auto deadline = queue_.front()->queued_at + options_.max_wait;
    cv_.wait_until(lock, deadline, [&] { return stopping_ || queue_.size() >= max_batch; });
    std::vector<std::unique_ptr<Item>> batch;
    while (!queue_.empty() && batch.size() < max_batch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    std::vector<const Encoded*> inputs;
    inputs.reserve(batch.size());
    for (const auto& item : batch) inputs.push_back(&item->encoded);
    std::vector<Probabilities> results;
    std::exception_ptr failed;
    try {
      results = run_(inputs);
    } catch (...) {
      failed = std::current_exception();  // one failed run fails only the texts in it
    }
    // Counted before any answer leaves: a client that reads /metrics after its answer finds
    // its batch there (a loadtest's texts-per-batch figure missed the last batch otherwise).
    if (on_batch_) on_batch_(static_cast<int>(batch.size()));
    for (size_t i = 0; i < batch.size(); ++i) {
      if (failed) {
        batch[i]->promise.set_exception(failed);
      } else if (i < results.size()) {
        batch[i]->promise.set_value(std::move(results[i]));
      } else {
        batch[i]->promise.set_exception(std::make_exception_ptr(
            std::runtime_error("the session returned fewer results than inputs")));
      }
    }
    lock.lock();
  }
}

}  // namespace bog::serve
