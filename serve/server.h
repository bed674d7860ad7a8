// The HTTP server of `bog serve` (serve/http_server.h: an event loop, workers for complete
// requests): routes, JSON errors, dynamic batching, metrics,
// the embedded page. The model loads on a background thread so /health answers at once and
// /ready says 503 until the session exists.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "serve/classifier.h"
#include "serve/generation_service.h"
#include "serve/http_server.h"
#include "serve/serving_config.h"

namespace bog::serve {

class Server {
 public:
  using Loader = std::function<std::unique_ptr<Classifier>()>;
  // A decoder LM instead of a classifier: the /v1 routes answer, the classifier routes 404.
  using GenerationLoader = std::function<std::unique_ptr<GenerationService>()>;

  Server(ServingConfig config, Loader loader);
  Server(ServingConfig config, GenerationLoader loader);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds host:port (port 0: a free one) and returns the port. Error(kIo) when it cannot.
  int bind();
  // Starts answering (after bind()) and loading the model, both on background threads.
  void start();
  // Blocks until the model is loaded; rethrows the loader's error.
  void wait_until_loaded();
  [[nodiscard]] bool ready() const { return ready_.load(); }
  // Graceful: stops accepting, lets in-flight requests finish, then drains the batcher.
  // Idempotent.
  void stop();
  // Connections open, refused, timed out; streams (what /metrics shows).
  [[nodiscard]] HttpStats connection_stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> ready_{false};
};

}  // namespace bog::serve
