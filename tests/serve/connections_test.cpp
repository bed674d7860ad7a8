// The HTTP layer under slow, stalled and idle clients (issue 29): total deadlines for headers
// and body (408, closed), connections waiting or kept alive hold no worker, a connection limit
// answered with 503 at once, and server-sent-event streams counted, limited and dropped when
// their client stops reading. Raw loopback sockets, bounded in count and time.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "serve/http_server.h"
#include "tests/serve/serve_test_util.h"

namespace bog::serve_test {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// Reads until the peer closes or `timeout_s` passes; `closed` says which.
std::string read_until_close(int fd, double timeout_s, bool* closed = nullptr) {
  std::string out;
  const auto t0 = Clock::now();
  if (closed != nullptr) *closed = false;
  while (seconds_since(t0) < timeout_s) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed != nullptr) *closed = true;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// One response on a kept-alive connection: the head and Content-Length bytes of body.
std::string read_response(int fd, double timeout_s) {
  std::string out;
  const auto t0 = Clock::now();
  while (seconds_since(t0) < timeout_s) {
    const size_t end = out.find("\r\n\r\n");
    if (end != std::string::npos) {
      const size_t cl = out.find("Content-Length: ");
      if (cl != std::string::npos && cl < end &&
          out.size() >= end + 4 + std::stoul(out.substr(cl + 16))) {
        break;
      }
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// One request on a fresh connection; the whole answer.
std::string ask(int port, const std::string& path) {
  const int fd = connect_to(port);
  if (fd < 0) return "";
  send_all(fd, "GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  std::string r = read_until_close(fd, 10);
  ::close(fd);
  return r;
}

constexpr const char* kStalled = "GET /health HTTP/1.1\r\nHost: stalled\r\n";  // no blank line

TEST(Connections, FiveHundredTwelveStalledClientsNeitherDelayHealthNorOutliveTheirDeadline) {
  serve::ServingConfig c = test_config();
  c.http_threads = 2;  // stalled connections must not need a worker each
  c.header_timeout_ms = 2000;
  c.idle_timeout_ms = 2000;
  RunningServer s = start_server(c);

  struct Stalled {
    int fd;
    Clock::time_point sent;
  };
  std::vector<Stalled> stalled;
  for (int i = 0; i < 512; ++i) {
    const int fd = connect_to(s.port);
    ASSERT_GE(fd, 0) << "connection " << i;
    send_all(fd, kStalled);
    stalled.push_back({fd, Clock::now()});
  }
  // /health and /ready meanwhile, each on a new connection as a probe makes them.
  std::vector<double> ms;
  const auto probing = Clock::now();
  for (int i = 0; i < 200 && seconds_since(probing) < 1.5; ++i) {
    const auto t0 = Clock::now();
    const std::string r = ask(s.port, i % 2 == 0 ? "/health" : "/ready");
    ms.push_back(seconds_since(t0) * 1000);
    ASSERT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  }
  ASSERT_GE(ms.size(), 50u) << "too few probes answered in 1.5 s";
  std::sort(ms.begin(), ms.end());
  const double p99 = ms[static_cast<size_t>(0.99 * static_cast<double>(ms.size() - 1))];
  EXPECT_LT(p99, 100.0) << "p99 of " << ms.size() << " probes beside 512 stalled connections";
  EXPECT_GE(s.server->connection_stats().open, 512);

  // Every stalled connection: 408 and closed at its deadline (2 s after its bytes), not later
  // than a generous margin for a loaded machine.
  for (const Stalled& st : stalled) {
    bool closed = false;
    const std::string r = read_until_close(st.fd, 8, &closed);
    const double after = seconds_since(st.sent);
    EXPECT_TRUE(closed);
    EXPECT_EQ(r.rfind("HTTP/1.1 408", 0), 0u) << r;
    EXPECT_GE(after, 1.9);
    EXPECT_LT(after, 5.0);
    ::close(st.fd);
  }
  const serve::HttpStats stats = s.server->connection_stats();
  EXPECT_EQ(stats.timed_out_headers, 512);
  EXPECT_EQ(stats.refused, 0);
  const std::string m = ask(s.port, "/metrics");
  EXPECT_NE(m.find("bog_connections_timed_out_total{phase=\"headers\"} 512"), std::string::npos);
  EXPECT_NE(m.find("bog_connections_refused_total 0"), std::string::npos);
  EXPECT_NE(m.find("bog_connections_open "), std::string::npos);
}

TEST(Connections, AHeaderTrickleMeetsATotalDeadlineNotAPerReadOne) {
  serve::ServingConfig c = test_config();
  c.header_timeout_ms = 800;
  RunningServer s = start_server(c);
  const int fd = connect_to(s.port);
  ASSERT_GE(fd, 0);
  const auto t0 = Clock::now();
  const std::string trickle = "GET /health HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa";
  std::string got;
  for (char ch : trickle) {  // one byte each 100 ms: 5 s in all if nothing stopped it
    if (::send(fd, &ch, 1, MSG_NOSIGNAL) <= 0) break;
    got += read_until_close(fd, 0.1);
    if (!got.empty()) break;
  }
  got += read_until_close(fd, 3);
  const double after = seconds_since(t0);
  EXPECT_EQ(got.rfind("HTTP/1.1 408", 0), 0u) << got;
  EXPECT_NE(got.find("\"request_timeout\""), std::string::npos);
  EXPECT_GE(after, 0.75);
  EXPECT_LT(after, 3.0);
  ::close(fd);
  EXPECT_EQ(s.server->connection_stats().timed_out_headers, 1);
}

TEST(Connections, AnIncompleteBodyGets408AtTheBodyDeadline) {
  serve::ServingConfig c = test_config();
  c.body_timeout_ms = 800;
  RunningServer s = start_server(c);
  const int fd = connect_to(s.port);
  ASSERT_GE(fd, 0);
  const auto t0 = Clock::now();
  send_all(fd, "POST /predict HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"text\": ");
  bool closed = false;
  const std::string got = read_until_close(fd, 5, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(got.rfind("HTTP/1.1 408", 0), 0u) << got;
  EXPECT_GE(seconds_since(t0), 0.75);
  EXPECT_LT(seconds_since(t0), 3.0);
  ::close(fd);
  EXPECT_EQ(s.server->connection_stats().timed_out_body, 1);
}

TEST(Connections, PastMaxConnectionsANewOneGets503WithRetryAfterAtOnce) {
  serve::ServingConfig c = test_config();
  c.max_connections = 8;
  c.retry_after_s = 2;
  RunningServer s = start_server(c);
  std::vector<int> held;
  for (int i = 0; i < 8; ++i) {
    held.push_back(connect_to(s.port));
    send_all(held.back(), kStalled);
  }
  for (int i = 0; i < 200 && s.server->connection_stats().open < 8; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto t0 = Clock::now();
  const std::string r = ask(s.port, "/health");
  EXPECT_LT(seconds_since(t0), 1.0) << "refused at once, not queued";
  EXPECT_EQ(r.rfind("HTTP/1.1 503", 0), 0u) << r;
  EXPECT_NE(r.find("Retry-After: 2"), std::string::npos) << r;
  EXPECT_NE(r.find("too_many_connections"), std::string::npos) << r;
  EXPECT_EQ(s.server->connection_stats().refused, 1);
  for (int fd : held) ::close(fd);
  // Once they are gone the server answers again.
  std::string ok;
  for (int i = 0; i < 100 && ok.rfind("HTTP/1.1 200", 0) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ok = ask(s.port, "/health");
  }
  EXPECT_EQ(ok.rfind("HTTP/1.1 200", 0), 0u) << ok;
}

TEST(Connections, IdleKeepAliveConnectionsHoldNoWorker) {
  serve::ServingConfig c = test_config();
  c.http_threads = 1;
  RunningServer s = start_server(c);
  std::vector<int> idle;
  for (int i = 0; i < 50; ++i) {
    const int fd = connect_to(s.port);
    send_all(fd, "GET /health HTTP/1.1\r\nHost: t\r\n\r\n");  // kept alive afterwards
    const std::string r = read_response(fd, 5);
    ASSERT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
    EXPECT_NE(r.find("Connection: keep-alive"), std::string::npos);
    idle.push_back(fd);
  }
  const auto t0 = Clock::now();
  const std::string r = ask(s.port, "/ready");
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_LT(seconds_since(t0), 2.0);
  // A kept-alive connection still serves its next request.
  send_all(idle[0], "GET /ready HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(read_until_close(idle[0], 5).rfind("HTTP/1.1 200", 0), 0u);
  for (int fd : idle) ::close(fd);
}

TEST(Connections, ChunkedBodiesExpectContinueHeadAndPipelinedRequestsAreServed) {
  RunningServer s = start_server(test_config());
  const int fd = connect_to(s.port);
  ASSERT_GE(fd, 0);
  const std::string text = R"({"text": "Oil prices fall"})";
  send_all(fd, "POST /predict HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n" +
                   text.substr(0, 5) + "\r\n" + fmt::format("{:x}", text.size() - 5) + "\r\n" +
                   text.substr(5) + "\r\n0\r\n\r\n");
  const std::string chunked = read_response(fd, 10);
  EXPECT_EQ(chunked.rfind("HTTP/1.1 200", 0), 0u) << chunked;
  EXPECT_NE(chunked.find("\"label\""), std::string::npos);
  // Expect: 100-continue gets its interim answer before the body is sent.
  send_all(fd, fmt::format("POST /predict HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                           "Content-Length: {}\r\n\r\n",
                           text.size()));
  std::string interim;
  for (int i = 0; i < 250 && interim.find("\r\n\r\n") == std::string::npos; ++i) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    char buf[256];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    interim.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  send_all(fd, text);
  EXPECT_EQ(read_response(fd, 10).rfind("HTTP/1.1 200", 0), 0u);
  // Two requests in one write: two answers in order; HEAD has the length and no body.
  send_all(fd,
           "HEAD /health HTTP/1.1\r\nHost: t\r\n\r\nGET /nosuch HTTP/1.1\r\nHost: t\r\n"
           "Connection: close\r\n\r\n");
  const std::string both = read_until_close(fd, 10);
  ::close(fd);
  EXPECT_EQ(both.rfind("HTTP/1.1 200", 0), 0u) << both;
  EXPECT_NE(both.find("Content-Length: 15\r\n"), std::string::npos) << both;
  const size_t second = both.find("HTTP/1.1 404");
  ASSERT_NE(second, std::string::npos) << both;
  EXPECT_EQ(both.substr(second - 4, 4), "\r\n\r\n") << "HEAD sent a body: " << both;
  EXPECT_EQ(both.substr(0, second).find("\"ok\""), std::string::npos) << both;
  EXPECT_NE(both.find("not_found", second), std::string::npos);
}

// A generic HttpServer with one streaming route, as the generation routes will use it.
struct StreamServer {
  std::vector<std::thread> producers;
  std::atomic<int> refused_sends{0};
  std::unique_ptr<serve::HttpServer> http;
  int port = 0;
  explicit StreamServer(serve::HttpLimits limits, size_t chunk, int events, int every_ms) {
    http = std::make_unique<serve::HttpServer>(
        limits,
        [this, chunk, events, every_ms](serve::HttpRequest& req) {
          serve::HttpResponse res;
          if (req.path != "/stream") {
            res.body = "{}";
            return res;
          }
          res.content_type = "text/event-stream";
          res.stream = [this, chunk, events, every_ms](std::shared_ptr<serve::StreamSink> sink) {
            producers.emplace_back([this, sink, chunk, events, every_ms] {
              for (int i = 0; i < events; ++i) {
                if (!sink->send(
                        serve::sse_event("token", std::to_string(i) + std::string(chunk, 'x')))) {
                  ++refused_sends;
                  return;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(every_ms));
              }
              sink->close();
            });
          };
          return res;
        },
        [](const serve::HttpRequest&, int status, const std::string& code, const std::string&) {
          serve::HttpResponse res;
          res.status = status;
          res.body = "{\"error\": \"" + code + "\"}";
          return res;
        },
        nullptr);
    port = http->bind("127.0.0.1", 0);
    http->start();
  }
  ~StreamServer() {
    http->stop(1000);
    for (auto& t : producers) t.join();  // every producer ends once its sink is gone
  }
};

TEST(Streams, EventsArriveInOrderAndTheStreamEnds) {
  StreamServer s({}, 0, 5, 5);
  const int fd = connect_to(s.port);
  send_all(fd, "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
  bool closed = false;
  const std::string r = read_until_close(fd, 10, &closed);
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Type: text/event-stream"), std::string::npos);
  const size_t body = r.find("\r\n\r\n") + 4;
  EXPECT_EQ(r.substr(body), serve::sse_event("token", "0") + serve::sse_event("token", "1") +
                                serve::sse_event("token", "2") + serve::sse_event("token", "3") +
                                serve::sse_event("token", "4"));
}

TEST(Streams, AreLimitedOnTheirOwnAndDoNotCountAsConnections) {
  serve::HttpLimits limits;
  limits.max_streams = 1;
  limits.max_connections = 1;
  StreamServer s(limits, 0, 300, 10);  // a 3 s stream
  const int first = connect_to(s.port);
  send_all(first, "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_NE(read_until_close(first, 0.5).find("event: token"), std::string::npos);
  EXPECT_EQ(s.http->stats().streams_open, 1);
  const std::string second = ask(s.port, "/stream");  // a connection is free, a stream is not
  EXPECT_EQ(second.rfind("HTTP/1.1 503", 0), 0u) << second;
  EXPECT_NE(second.find("Retry-After: 1"), std::string::npos);
  EXPECT_NE(second.find("too_many_streams"), std::string::npos);
  EXPECT_EQ(ask(s.port, "/other").rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(s.http->stats().streams_refused, 1);
  ::close(first);
  for (int i = 0; i < 200 && s.http->stats().streams_open > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(s.http->stats().streams_open, 0) << "the client left: the stream is dropped";
}

TEST(Streams, AClientThatStopsReadingIsDroppedAtTheWriteDeadline) {
  serve::HttpLimits limits;
  limits.write_timeout_ms = 500;
  limits.max_stream_buffer_bytes = 64 << 20;  // the deadline, not the buffer, ends it
  StreamServer s(limits, 65536, 100000, 2);
  const int fd = connect_to(s.port);
  int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  send_all(fd, "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");  // and never read
  const auto t0 = Clock::now();
  while (s.refused_sends.load() == 0 && seconds_since(t0) < 10) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(s.refused_sends.load(), 1) << "the producer learns the stream is gone";
  EXPECT_LT(seconds_since(t0), 5.0);
  const serve::HttpStats st = s.http->stats();
  EXPECT_EQ(st.streams_dropped, 1);
  EXPECT_EQ(st.timed_out_write, 1);
  EXPECT_EQ(st.streams_open, 0);
  ::close(fd);
}

}  // namespace
}  // namespace bog::serve_test
