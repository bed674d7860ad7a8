// HTTP/1.1 messages for the event-driven server (http_server.h): a request's head parsed from
// the bytes received so far, a chunked body decoded once complete, and a response serialized.
// Pure functions over buffers, so every framing rule is unit-tested without a socket.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bog::serve {

class StreamSink;

struct HttpRequest {
  std::string method;
  std::string target;  // as sent
  std::string path;    // percent-decoded, without the query
  std::string query;
  int version_minor = 1;                                     // HTTP/1.x
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::vector<std::string> matches;  // the route's captures (router.h)

  // The first header of that (lower-case) name, or nullptr.
  [[nodiscard]] const std::string* header(std::string_view name) const;
  // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with "Connection: keep-alive".
  [[nodiscard]] bool keep_alive() const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // A long-lived response (server-sent events): set instead of a body. Called once the server
  // admits the stream (it counts against max_streams, not max_connections), with a sink that
  // takes chunks from any thread; it must return quickly (start a producer, do not loop).
  std::function<void(std::shared_ptr<StreamSink>)> stream;

  void set_header(std::string name, std::string value);
};

enum class BodyFraming { kNone, kLength, kChunked };

struct HeadResult {
  enum Status { kIncomplete, kDone, kError } status = kIncomplete;
  int error_status = 400;  // 400, 413, 431, 501, 505
  std::string error_message;
  size_t head_bytes = 0;  // request line and headers, blank line included
  BodyFraming framing = BodyFraming::kNone;
  size_t content_length = 0;
  bool expect_continue = false;
  HttpRequest request;  // method, target, path, query, version, headers
};

// Parses the request line and headers from the start of `buffer`. kIncomplete until the blank
// line arrives (kError 431 once `max_head_bytes` pass without it); 413 for a Content-Length
// over `max_body_bytes`.
[[nodiscard]] HeadResult parse_head(std::string_view buffer, size_t max_head_bytes,
                                    size_t max_body_bytes);

struct ChunkedResult {
  enum Status { kIncomplete, kDone, kError } status = kIncomplete;
  int error_status = 400;
  std::string error_message;
  size_t consumed = 0;  // bytes of `buffer` the body took, trailers included
  std::string body;
};
// Decodes a chunked body from the start of `buffer` (the bytes after the head).
[[nodiscard]] ChunkedResult decode_chunked(std::string_view buffer, size_t max_body_bytes);

// "%2F" -> "/", "+" stays; false for a malformed escape.
[[nodiscard]] bool percent_decode(std::string_view in, std::string& out);

[[nodiscard]] const char* reason_phrase(int status);

// Status line and headers (Content-Type, Content-Length, Connection and the response's own),
// then the body unless `head_only` (a HEAD request: the length of the body it would get).
[[nodiscard]] std::string serialize_response(const HttpResponse& response, bool keep_alive,
                                             bool head_only);
// The head of a server-sent-events response: no length, the connection closes at its end.
[[nodiscard]] std::string serialize_stream_head(const HttpResponse& response);
// One SSE event: "event: NAME\n" (when given), a "data: " line per line of `data`, blank line.
[[nodiscard]] std::string sse_event(std::string_view event, std::string_view data);

}  // namespace bog::serve
