// The HTTP/1.1 layer of `bog serve`: one epoll event loop owns every connection (accepting,
// reading, deadlines, writing) and hands only complete requests to a pool of workers, so a
// stalled, slow or idle client costs a file descriptor and a few bytes, never a worker.
//
//   accept ──► head ──► body ──► worker runs the handler ──► write ──► idle (keep-alive) ─┐
//     │ over max_connections: 503 + Retry-After, closed       │                          │
//     │ head past header_timeout / body past body_timeout: 408, closed                  │
//     └─────────────────────────────────────────────────────── next request ◄───────────┘
//
// A response with `stream` set becomes a server-sent-events stream: counted and limited on its
// own (max_streams), fed by a StreamSink from any thread, dropped when the client leaves its
// bytes unread past write_timeout. Why not cpp-httplib: serve/README.md.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "serve/http_message.h"

namespace bog::serve {

struct HttpLimits {
  int workers = 128;              // threads that run complete requests
  int max_connections = 1024;     // open connections (streams not counted); past it: 503
  int max_streams = 64;           // open SSE streams; past it a stream request gets 503
  int header_timeout_ms = 5000;   // request line + headers, in total, from the first byte
  int body_timeout_ms = 10000;    // the body, in total, from the end of the headers
  int idle_timeout_ms = 5000;     // a connection with no request yet (new or kept alive)
  int write_timeout_ms = 10000;   // unsent response bytes waiting on the client
  size_t max_head_bytes = 16384;  // past it: 431
  size_t max_body_bytes = 65536;  // past it: 413
  size_t max_stream_buffer_bytes = 4 << 20;  // a stream's unsent bytes; past it: dropped
  int retry_after_s = 1;
};

// Counters since start (gauges: open, streams_open).
struct HttpStats {
  int64_t open = 0;  // connections now open, streams included
  int64_t accepted = 0;
  int64_t refused = 0;  // 503 at accept (max_connections)
  int64_t timed_out_headers = 0;
  int64_t timed_out_body = 0;
  int64_t timed_out_idle = 0;  // closed without a request (no 408: nothing was asked)
  int64_t timed_out_write = 0;
  int64_t streams_open = 0;
  int64_t streams_refused = 0;
  int64_t streams_dropped = 0;  // client stopped reading (write deadline or buffer) or left
};

// The producer side of one SSE stream. Thread-safe.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Queues bytes (e.g. sse_event(...)); false once the stream is gone (client left, write
  // deadline passed, buffer over its limit, server stopping): stop producing then.
  virtual bool send(std::string bytes) = 0;
  // Ends the stream; the connection closes once the queued bytes are written.
  virtual void close() = 0;
  [[nodiscard]] virtual bool open() const = 0;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(HttpRequest&)>;
  // Error responses the layer makes itself (400, 404, 408, 413, 431, 500, 503, ...): the
  // request as far as it was parsed (path may be empty), status, a stable code and a message.
  using ErrorResponder = std::function<HttpResponse(
      const HttpRequest& request, int status, const std::string& code, const std::string& message)>;
  // Every response sent, with the request's path ("" when none was parsed). Loop thread.
  using Observer = std::function<void(const std::string& path, int status)>;

  HttpServer(HttpLimits limits, Handler handler, ErrorResponder errors, Observer observer);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Listens on host:port (0: a free port); returns the port. Error(kIo) when it cannot.
  int bind(const std::string& host, int port);
  // The event loop and the workers, on their own threads.
  void start();
  // Stops accepting, closes idle connections, lets requests in flight be answered (at most
  // `grace_ms`), drops streams, joins the threads. Idempotent.
  void stop(int grace_ms = 30000);

  [[nodiscard]] HttpStats stats() const;
  [[nodiscard]] const HttpLimits& limits() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bog::serve
