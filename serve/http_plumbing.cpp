#include "serve/http_plumbing.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include "common/error.h"

namespace bog::serve::detail {

Mailbox::Mailbox() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) throw Error(ErrorCategory::kIo, "serve: eventfd failed");
}

Mailbox::~Mailbox() { ::close(fd_); }

bool Mailbox::post(Event e) {
  {
    const std::lock_guard lock(mu_);
    if (closed_) return false;
    events_.push_back(std::move(e));
  }
  wake();
  return true;
}

void Mailbox::wake() const {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(fd_, &one, sizeof one);
}

std::vector<Mailbox::Event> Mailbox::take() {
  uint64_t v = 0;
  [[maybe_unused]] const ssize_t n = ::read(fd_, &v, sizeof v);
  const std::lock_guard lock(mu_);
  std::vector<Event> out;
  out.swap(events_);
  return out;
}

void Mailbox::close() {
  const std::lock_guard lock(mu_);
  closed_ = true;
  events_.clear();
}

bool Sink::send(std::string bytes) {
  if (!alive_.load()) return false;
  Mailbox::Event e;
  e.kind = Mailbox::Event::kStreamData;
  e.id = id_;
  e.data = std::move(bytes);
  return mailbox_->post(std::move(e)) && alive_.load();
}

void Sink::close() {
  if (!alive_.exchange(false)) return;
  Mailbox::Event e;
  e.kind = Mailbox::Event::kStreamEnd;
  e.id = id_;
  mailbox_->post(std::move(e));
}

void WorkerPool::start() {
  for (int i = 0; i < n_; ++i) threads_.emplace_back([this] { run(); });
}

void WorkerPool::push(std::function<void()> task) {
  {
    const std::lock_guard lock(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void WorkerPool::join() {
  {
    const std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void WorkerPool::run() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return done_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace bog::serve::detail
