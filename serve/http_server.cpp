#include "serve/http_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/error.h"
#include "serve/http_plumbing.h"

namespace bog::serve {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr uint64_t kListenTag = 0;
constexpr uint64_t kWakeTag = 1;
constexpr int kScanMs = 10;            // deadline granularity
constexpr int kLingerMs = 1000;        // draining a closed connection's unread input
constexpr size_t kMaxLingering = 512;  // refused connections drained at once; past it: closed

using detail::Mailbox;
using detail::Sink;
using detail::WorkerPool;

enum class Phase { kIdle, kHead, kBody, kProcessing, kWriting, kStreaming, kLinger };

struct Conn {
  int fd = -1;
  uint64_t id = 0;
  Phase phase = Phase::kIdle;
  std::string in;
  HeadResult head;
  std::string out;
  size_t out_off = 0;
  Clock::time_point deadline;  // of the reading phases and of lingering
  bool writing_since_set = false;
  Clock::time_point writing_since;
  bool close_after_write = false;
  bool refused = false;  // a 503 at accept, lingering; not an open connection
  bool stream_ended = false;
  bool peer_closed = false;  // the client half-closed after a complete request
  std::shared_ptr<Sink> sink;
  uint32_t events = 0;
};

void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

struct HttpServer::Impl {
  HttpLimits limits;
  Handler handler;
  ErrorResponder errors;
  Observer observer;
  std::shared_ptr<Mailbox> mailbox = std::make_shared<Mailbox>();
  WorkerPool workers;
  int listen_fd = -1;
  int epoll_fd = -1;
  int spare_fd = -1;  // closed to accept-and-refuse when out of descriptors
  std::thread loop_thread;
  std::atomic<bool> stopping{false};
  std::once_flag stop_once;
  Clock::time_point stop_deadline;
  bool stop_seen = false;
  std::unordered_map<uint64_t, Conn> conns;
  uint64_t next_id = 2;
  size_t lingering_refused = 0;

  std::atomic<int64_t> open{0}, accepted{0}, refused{0}, to_headers{0}, to_body{0}, to_idle{0},
      to_write{0}, streams_open{0}, streams_refused{0}, streams_dropped{0};

  Impl(HttpLimits l, Handler h, ErrorResponder e, Observer o)
      : limits(l),
        handler(std::move(h)),
        errors(std::move(e)),
        observer(std::move(o)),
        workers(l.workers) {}

  ~Impl() {
    if (listen_fd >= 0) ::close(listen_fd);
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (spare_fd >= 0) ::close(spare_fd);
  }

  // What a connection waits for besides EPOLLOUT: input in the reading phases (and a stream's
  // end of input, to notice the client leaving); nothing while a worker has its request.
  static uint32_t input_events(const Conn& c) {
    return c.phase == Phase::kProcessing || c.phase == Phase::kWriting ? 0u : EPOLLIN | EPOLLRDHUP;
  }

  void set_events(Conn& c, uint32_t events) {
    if (c.events == events) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = c.id;
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
    c.events = events;
  }

  void close_conn(uint64_t id) {
    const auto it = conns.find(id);
    if (it == conns.end()) return;
    Conn& c = it->second;
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    if (c.sink) {
      c.sink->kill();
      --streams_open;
    }
    if (c.refused) {
      --lingering_refused;
    } else {
      --open;
    }
    conns.erase(it);
  }

  void drop_stream(Conn& c) {
    ++streams_dropped;
    close_conn(c.id);
  }

  void begin_linger(Conn& c) {
    if (stopping.load()) return close_conn(c.id);
    ::shutdown(c.fd, SHUT_WR);
    c.phase = Phase::kLinger;
    c.in.clear();
    c.deadline = Clock::now() + milliseconds(kLingerMs);
    set_events(c, EPOLLIN | EPOLLRDHUP);
  }

  void become_idle(Conn& c) {
    c.phase = Phase::kIdle;
    c.head = HeadResult();
    c.deadline = Clock::now() + milliseconds(limits.idle_timeout_ms);
    set_events(c, EPOLLIN | EPOLLRDHUP);
    if (!c.in.empty()) advance(c);
  }

  // Writes what it can; false when the connection was closed.
  bool flush(Conn& c) {
    while (c.out_off < c.out.size()) {
      const ssize_t n =
          ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_off += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (c.sink) ++streams_dropped;
      close_conn(c.id);
      return false;
    }
    if (c.out_off < c.out.size()) {
      if (!c.writing_since_set) {
        c.writing_since_set = true;
        c.writing_since = Clock::now();
      }
      if (c.out_off > 65536) {
        c.out.erase(0, c.out_off);
        c.out_off = 0;
      }
      if (c.sink && c.out.size() - c.out_off > limits.max_stream_buffer_bytes) {
        drop_stream(c);
        return false;
      }
      set_events(c, input_events(c) | EPOLLOUT);
      return true;
    }
    c.out.clear();
    c.out_off = 0;
    c.writing_since_set = false;
    if (c.phase == Phase::kWriting) {
      if (c.close_after_write) {
        begin_linger(c);
        return false;
      }
      become_idle(c);
      return conns.count(c.id) > 0;
    }
    if (c.phase == Phase::kStreaming && c.stream_ended) {
      close_conn(c.id);
      return false;
    }
    set_events(c, input_events(c));
    return true;
  }

  void send_response(Conn& c, const HttpResponse& res, const std::string& path, bool keep_alive,
                     bool head_only) {
    const bool keep = keep_alive && !stopping.load() && !c.peer_closed;
    c.out += serialize_response(res, keep, head_only);
    c.close_after_write = !keep;
    c.phase = Phase::kWriting;
    if (observer) observer(path, res.status);
    flush(c);
  }

  void respond_error(Conn& c, int status, const std::string& code, const std::string& message,
                     const std::string& retry_after = "") {
    HttpResponse res = errors(c.head.request, status, code, message);
    if (!retry_after.empty()) res.set_header("Retry-After", retry_after);
    send_response(c, res, c.head.request.path, false, false);
  }

  void dispatch(Conn& c, std::string body) {
    HttpRequest req = std::move(c.head.request);
    req.body = std::move(body);
    c.phase = Phase::kProcessing;
    set_events(c, 0);
    const uint64_t id = c.id;
    workers.push([this, id, req = std::move(req)]() mutable {
      Mailbox::Event e;
      e.id = id;
      e.keep_alive = req.keep_alive();
      e.head_only = req.method == "HEAD";
      e.path = req.path;
      try {
        e.response = handler(req);
      } catch (const std::exception& ex) {
        e.response = errors(req, 500, "internal", ex.what());
      } catch (...) {
        e.response = errors(req, 500, "internal", "unknown error");
      }
      mailbox->post(std::move(e));
    });
  }

  // Moves a reading connection on with what it has received.
  void advance(Conn& c) {
    const auto now = Clock::now();
    if (c.phase == Phase::kIdle) {
      if (c.in.empty()) return;
      c.phase = Phase::kHead;
      c.deadline = now + milliseconds(limits.header_timeout_ms);
    }
    if (c.phase == Phase::kHead) {
      c.head = parse_head(c.in, limits.max_head_bytes, limits.max_body_bytes);
      if (c.head.status == HeadResult::kIncomplete) return;
      if (c.head.status == HeadResult::kError) {
        const int s = c.head.error_status;
        const char* code = s == 413   ? "body_too_large"
                           : s == 431 ? "headers_too_large"
                           : s == 505 ? "version_not_supported"
                           : s == 501 ? "not_implemented"
                                      : "bad_request";
        return respond_error(c, s, code, c.head.error_message);
      }
      if (c.head.framing == BodyFraming::kNone) {
        c.in.erase(0, c.head.head_bytes);
        return dispatch(c, "");
      }
      c.phase = Phase::kBody;
      c.deadline = now + milliseconds(limits.body_timeout_ms);
      const bool body_here = c.head.framing == BodyFraming::kLength &&
                             c.in.size() >= c.head.head_bytes + c.head.content_length;
      if (c.head.expect_continue && !body_here) {
        c.out += "HTTP/1.1 100 Continue\r\n\r\n";
        if (!flush(c)) return;
      }
    }
    if (c.phase == Phase::kBody) {
      const size_t h = c.head.head_bytes;
      if (c.head.framing == BodyFraming::kLength) {
        if (c.in.size() < h + c.head.content_length) return;
        std::string body = c.in.substr(h, c.head.content_length);
        c.in.erase(0, h + c.head.content_length);
        return dispatch(c, std::move(body));
      }
      ChunkedResult r = decode_chunked(std::string_view(c.in).substr(h), limits.max_body_bytes);
      if (r.status == ChunkedResult::kError) {
        return respond_error(c, r.error_status,
                             r.error_status == 413 ? "body_too_large" : "bad_request",
                             r.error_message);
      }
      if (r.status == ChunkedResult::kIncomplete) {
        if (c.in.size() > h + 2 * limits.max_body_bytes + 4096) {
          respond_error(c, 413, "body_too_large", "the body is over the size limit");
        }
        return;
      }
      c.in.erase(0, h + r.consumed);
      return dispatch(c, std::move(r.body));
    }
  }

  void on_readable(Conn& c) {
    char buf[16384];
    const size_t cap = limits.max_head_bytes + 2 * limits.max_body_bytes + 8192;
    while (true) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        if (c.phase == Phase::kLinger || c.phase == Phase::kStreaming) continue;  // discarded
        c.in.append(buf, static_cast<size_t>(n));
        if (c.in.size() > cap) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      // End of input or an error: the client is gone (or half-closed after its request).
      if (c.phase == Phase::kStreaming) return drop_stream(c);
      if (c.phase == Phase::kLinger) return close_conn(c.id);
      const uint64_t id = c.id;
      c.peer_closed = true;
      if (c.phase == Phase::kIdle || c.phase == Phase::kHead || c.phase == Phase::kBody) {
        advance(c);
      }
      const auto it = conns.find(id);
      if (it == conns.end()) return;
      const Phase p = it->second.phase;
      // Nothing more will come: an incomplete request never completes; an answer still goes.
      if (p == Phase::kIdle || p == Phase::kHead || p == Phase::kBody) return close_conn(id);
      if (p == Phase::kWriting && it->second.out_off >= it->second.out.size()) {
        return close_conn(id);
      }
      set_events(it->second, it->second.out_off < it->second.out.size() ? EPOLLOUT : 0u);
      return;
    }
    if (c.phase == Phase::kIdle || c.phase == Phase::kHead || c.phase == Phase::kBody) advance(c);
  }

  void on_event(uint64_t id, uint32_t events) {
    const auto it = conns.find(id);
    if (it == conns.end()) return;
    Conn& c = it->second;
    // An error, or both directions down (HUP, level-triggered even with no events asked
    // for): nothing can be sent any more.
    if ((events & EPOLLERR) != 0 || ((events & EPOLLHUP) != 0 && c.phase != Phase::kLinger)) {
      if (c.sink) ++streams_dropped;
      return close_conn(id);
    }
    if ((events & EPOLLOUT) != 0 && c.out_off < c.out.size()) {
      if (!flush(c)) return;
    }
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) != 0 && conns.count(id) > 0) {
      on_readable(conns.at(id));
    }
  }

  void refuse(int fd) {
    ++refused;
    HttpRequest none;
    HttpResponse res =
        errors(none, 503, "too_many_connections",
               fmt::format("the server holds its maximum of {} connections; retry after {} s",
                           limits.max_connections, limits.retry_after_s));
    res.set_header("Retry-After", std::to_string(limits.retry_after_s));
    const std::string bytes = serialize_response(res, false, false);
    char drain[4096];
    while (::recv(fd, drain, sizeof drain, 0) > 0) {
    }
    [[maybe_unused]] const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (observer) observer("", 503);
    if (lingering_refused >= kMaxLingering || stopping.load()) {
      ::close(fd);
      return;
    }
    Conn c;
    c.fd = fd;
    c.id = next_id++;
    c.refused = true;
    if (!add_to_epoll(c, EPOLLIN | EPOLLRDHUP)) return;
    ++lingering_refused;
    ::shutdown(fd, SHUT_WR);
    c.phase = Phase::kLinger;
    c.deadline = Clock::now() + milliseconds(kLingerMs);
    conns.emplace(c.id, std::move(c));
  }

  bool add_to_epoll(Conn& c, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = c.id;
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
      ::close(c.fd);
      return false;
    }
    c.events = events;
    return true;
  }

  void accept_all() {
    while (true) {
      int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if ((errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
          ::close(spare_fd);
          fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd >= 0) {
            ++refused;
            ::close(fd);
          }
          spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
          continue;
        }
        return;  // EAGAIN, or nothing more to do now
      }
      if (stopping.load()) {
        ::close(fd);
        continue;
      }
      int yes = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
      if (open.load() - streams_open.load() >= limits.max_connections) {
        refuse(fd);
        continue;
      }
      Conn c;
      c.fd = fd;
      c.id = next_id++;
      if (!add_to_epoll(c, EPOLLIN | EPOLLRDHUP)) continue;
      ++accepted;
      ++open;
      c.deadline = Clock::now() + milliseconds(limits.idle_timeout_ms);
      conns.emplace(c.id, std::move(c));
    }
  }

  void on_mail() {
    for (Mailbox::Event& e : mailbox->take()) {
      const auto it = conns.find(e.id);
      if (it == conns.end()) continue;  // the client left meanwhile
      Conn& c = it->second;
      if (e.kind == Mailbox::Event::kResponse) {
        if (c.phase != Phase::kProcessing) continue;
        if (e.response.stream) {
          start_stream(c, e);
        } else {
          send_response(c, e.response, e.path, e.keep_alive, e.head_only);
        }
      } else if (c.phase == Phase::kStreaming) {
        if (e.kind == Mailbox::Event::kStreamData) {
          c.out += e.data;
        } else {
          c.stream_ended = true;
        }
        flush(c);
      }
    }
  }

  void start_stream(Conn& c, Mailbox::Event& e) {
    if (streams_open.load() >= limits.max_streams || stopping.load()) {
      ++streams_refused;
      HttpRequest asked;
      asked.path = e.path;
      HttpResponse res =
          errors(asked, 503, "too_many_streams",
                 fmt::format("the server carries its maximum of {} streams; retry after {} s",
                             limits.max_streams, limits.retry_after_s));
      res.set_header("Retry-After", std::to_string(limits.retry_after_s));
      return send_response(c, res, e.path, e.keep_alive, false);
    }
    ++streams_open;
    c.sink = std::make_shared<Sink>(mailbox, c.id);
    c.phase = Phase::kStreaming;
    c.out += serialize_stream_head(e.response);
    if (observer) observer(e.path, e.response.status);
    std::shared_ptr<StreamSink> sink = c.sink;
    workers.push([start = std::move(e.response.stream), sink] { start(sink); });
    flush(c);
  }

  void scan(Clock::time_point now) {
    std::vector<uint64_t> due;
    for (const auto& kv : conns) {
      const Conn& c = kv.second;
      const bool read_due = (c.phase == Phase::kIdle || c.phase == Phase::kHead ||
                             c.phase == Phase::kBody || c.phase == Phase::kLinger) &&
                            now >= c.deadline;
      const bool write_due =
          c.writing_since_set && now >= c.writing_since + milliseconds(limits.write_timeout_ms);
      if (read_due || write_due) due.push_back(kv.first);
    }
    for (const uint64_t id : due) {
      const auto it = conns.find(id);
      if (it == conns.end()) continue;
      Conn& c = it->second;
      if (c.writing_since_set && now >= c.writing_since + milliseconds(limits.write_timeout_ms)) {
        ++to_write;
        if (c.sink) ++streams_dropped;
        close_conn(id);
      } else if (c.phase == Phase::kIdle) {
        ++to_idle;
        close_conn(id);
      } else if (c.phase == Phase::kHead) {
        ++to_headers;
        respond_error(c, 408, "request_timeout",
                      fmt::format("the request line and headers did not arrive within {} ms",
                                  limits.header_timeout_ms));
      } else if (c.phase == Phase::kBody) {
        ++to_body;
        respond_error(c, 408, "request_timeout",
                      fmt::format("the body did not arrive within {} ms of the headers",
                                  limits.body_timeout_ms));
      } else {
        close_conn(id);  // lingering ends
      }
    }
  }

  // On the first pass after stop(): no new connections, idle and half-read ones closed,
  // streams dropped; requests in flight finish. True when the loop may end.
  bool stop_pass(Clock::time_point now) {
    if (!stop_seen) {
      stop_seen = true;
      epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
      ::close(listen_fd);
      listen_fd = -1;
    }
    std::vector<uint64_t> closing;
    for (const auto& kv : conns) {
      const Phase p = kv.second.phase;
      if (p != Phase::kProcessing && p != Phase::kWriting) closing.push_back(kv.first);
    }
    for (const uint64_t id : closing) close_conn(id);
    return conns.empty() || now >= stop_deadline;
  }

  void loop() {
    std::vector<epoll_event> events(512);
    auto next_scan = Clock::now() + milliseconds(kScanMs);
    while (true) {
      int timeout = -1;
      if (!conns.empty() || stopping.load()) {
        timeout = static_cast<int>(std::max<int64_t>(
            0, std::chrono::duration_cast<milliseconds>(next_scan - Clock::now()).count() + 1));
      }
      const int n = epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()), timeout);
      for (int i = 0; i < n; ++i) {
        const uint64_t tag = events[static_cast<size_t>(i)].data.u64;
        if (tag == kListenTag) {
          accept_all();
        } else if (tag == kWakeTag) {
          on_mail();
        } else {
          on_event(tag, events[static_cast<size_t>(i)].events);
        }
      }
      const auto now = Clock::now();
      if (now >= next_scan) {
        scan(now);
        next_scan = now + milliseconds(kScanMs);
      }
      if (stopping.load() && stop_pass(now)) break;
    }
    std::vector<uint64_t> rest;
    for (const auto& kv : conns) rest.push_back(kv.first);
    for (const uint64_t id : rest) close_conn(id);
    mailbox->close();
  }
};

HttpServer::HttpServer(HttpLimits limits, Handler handler, ErrorResponder errors, Observer observer)
    : impl_(std::make_unique<Impl>(limits, std::move(handler), std::move(errors),
                                   std::move(observer))) {}

HttpServer::~HttpServer() { stop(0); }

const HttpLimits& HttpServer::limits() const { return impl_->limits; }

int HttpServer::bind(const std::string& host, int port) {
  raise_fd_limit();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const auto fail = [&](const std::string& why) {
    return Error(ErrorCategory::kIo,
                 fmt::format("serve: cannot listen on {}:{} ({})", host, port, why));
  };
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    throw fail(gai_strerror(rc));
  }
  std::string why = "no address";
  int fd = -1;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int yes = 1;
    // SO_REUSEADDR only (a restart may reuse a TIME_WAIT port); never SO_REUSEPORT, with which
    // a second server would bind a port in use without a word.
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 4096) == 0) break;
    why = std::strerror(errno);
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(found);
  if (fd < 0) throw fail(why + "; in use, or not an address of this host");
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int bound = addr.ss_family == AF_INET6
                        ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                        : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  Impl& m = *impl_;
  m.listen_fd = fd;
  m.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  m.spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  epoll_ctl(m.epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  ev.data.u64 = kWakeTag;
  epoll_ctl(m.epoll_fd, EPOLL_CTL_ADD, m.mailbox->fd(), &ev);
  return bound;
}

void HttpServer::start() {
  Impl& m = *impl_;
  if (m.listen_fd < 0) throw Error(ErrorCategory::kInternal, "serve: start() before bind()");
  m.workers.start();
  m.loop_thread = std::thread([&m] { m.loop(); });
}

void HttpServer::stop(int grace_ms) {
  Impl& m = *impl_;
  std::call_once(m.stop_once, [&m, grace_ms] {
    m.stop_deadline = Clock::now() + milliseconds(grace_ms);
    m.stopping.store(true);
    m.mailbox->wake();
    if (m.loop_thread.joinable()) m.loop_thread.join();
    m.workers.join();
  });
}

HttpStats HttpServer::stats() const {
  const Impl& m = *impl_;
  HttpStats s;
  s.open = m.open.load();
  s.accepted = m.accepted.load();
  s.refused = m.refused.load();
  s.timed_out_headers = m.to_headers.load();
  s.timed_out_body = m.to_body.load();
  s.timed_out_idle = m.to_idle.load();
  s.timed_out_write = m.to_write.load();
  s.streams_open = m.streams_open.load();
  s.streams_refused = m.streams_refused.load();
  s.streams_dropped = m.streams_dropped.load();
  return s;
}

}  // namespace bog::serve
