#include "serve/http_message.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace bog::serve {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

// Does a comma-separated header value hold `token` (case-insensitive)?
bool has_token(const std::string& value, std::string_view token) {
  const std::string v = lower(value);
  size_t start = 0;
  while (start <= v.size()) {
    size_t end = v.find(',', start);
    if (end == std::string::npos) end = v.size();
    if (trim(std::string_view(v).substr(start, end - start)) == token) return true;
    start = end + 1;
  }
  return false;
}

HeadResult head_error(int status, std::string message) {
  HeadResult r;
  r.status = HeadResult::kError;
  r.error_status = status;
  r.error_message = std::move(message);
  return r;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const std::string* HttpRequest::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (h.first == name) return &h.second;
  }
  return nullptr;
}

bool HttpRequest::keep_alive() const {
  const std::string* c = header("connection");
  if (version_minor == 0) return c != nullptr && has_token(*c, "keep-alive");
  return c == nullptr || !has_token(*c, "close");
}

void HttpResponse::set_header(std::string name, std::string value) {
  for (auto& h : headers) {
    if (lower(h.first) == lower(name)) {
      h.second = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]);
    const int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

HeadResult parse_head(std::string_view buffer, size_t max_head_bytes, size_t max_body_bytes) {
  const size_t end = buffer.find("\r\n\r\n");
  if (end == std::string_view::npos || end + 4 > max_head_bytes) {
    if (buffer.size() >= max_head_bytes || (end != std::string_view::npos)) {
      return head_error(431, fmt::format("the request head is over {} bytes", max_head_bytes));
    }
    return {};
  }
  HeadResult r;
  r.head_bytes = end + 4;
  std::string_view head = buffer.substr(0, end);
  const size_t line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  head = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);

  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return head_error(400, "malformed request line");
  }
  HttpRequest& req = r.request;
  req.method = std::string(line.substr(0, sp1));
  req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(req.method)) return head_error(400, "malformed method");
  if (version == "HTTP/1.1") {
    req.version_minor = 1;
  } else if (version == "HTTP/1.0") {
    req.version_minor = 0;
  } else if (version.substr(0, 5) == "HTTP/") {
    return head_error(505, fmt::format("{} is not supported (HTTP/1.0 and 1.1 are)", version));
  } else {
    return head_error(400, "malformed HTTP version");
  }
  if (req.target.empty() || req.target.front() != '/') {
    return head_error(400, "the target must be an absolute path");
  }
  const size_t q = req.target.find('?');
  const std::string_view raw_path = std::string_view(req.target).substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  if (!percent_decode(raw_path, req.path)) return head_error(400, "malformed percent-escape");

  while (!head.empty()) {
    const size_t e = head.find("\r\n");
    const std::string_view h = head.substr(0, e);
    head = e == std::string_view::npos ? std::string_view() : head.substr(e + 2);
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos || !is_token(h.substr(0, colon))) {
      return head_error(400, "malformed header line");
    }
    req.headers.emplace_back(lower(h.substr(0, colon)), std::string(trim(h.substr(colon + 1))));
  }

  const std::string* te = req.header("transfer-encoding");
  const std::string* cl = req.header("content-length");
  if (te != nullptr) {
    if (lower(trim(*te)) != "chunked") {
      return head_error(501, fmt::format("transfer-encoding '{}' is not supported", *te));
    }
    if (cl != nullptr) return head_error(400, "both Content-Length and Transfer-Encoding");
    r.framing = BodyFraming::kChunked;
  } else if (cl != nullptr) {
    size_t n = 0;
    const auto [p, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
    if (ec != std::errc() || p != cl->data() + cl->size()) {
      return head_error(400, "malformed Content-Length");
    }
    if (n > max_body_bytes) {
      HeadResult e = head_error(413, "the body is over the size limit");
      e.request = std::move(r.request);  // the path picks the error's shape (/v1, /v2)
      return e;
    }
    r.framing = n > 0 ? BodyFraming::kLength : BodyFraming::kNone;
    r.content_length = n;
  }
  if (const std::string* ex = req.header("expect"))
    r.expect_continue = has_token(*ex, "100-continue");
  r.status = HeadResult::kDone;
  return r;
}

ChunkedResult decode_chunked(std::string_view buffer, size_t max_body_bytes) {
  ChunkedResult r;
  size_t pos = 0;
  const auto fail = [&](int status, std::string message) {
    r.status = ChunkedResult::kError;
    r.error_status = status;
    r.error_message = std::move(message);
    return r;
  };
  while (true) {
    const size_t e = buffer.find("\r\n", pos);
    if (e == std::string_view::npos) return r;
    std::string_view size_line = buffer.substr(pos, e - pos);
    size_line = size_line.substr(0, size_line.find(';'));  // chunk extensions
    size_line = trim(size_line);
    size_t size = 0;
    const auto [p, ec] =
        std::from_chars(size_line.data(), size_line.data() + size_line.size(), size, 16);
    if (size_line.empty() || ec != std::errc() || p != size_line.data() + size_line.size()) {
      return fail(400, "malformed chunk size");
    }
    if (size > max_body_bytes || r.body.size() + size > max_body_bytes) {
      return fail(413, "the body is over the size limit");
    }
    pos = e + 2;
    if (size == 0) {
      // Trailers up to a blank line.
      while (true) {
        const size_t te = buffer.find("\r\n", pos);
        if (te == std::string_view::npos) return r;
        const bool blank = te == pos;
        pos = te + 2;
        if (blank) break;
      }
      r.status = ChunkedResult::kDone;
      r.consumed = pos;
      return r;
    }
    if (buffer.size() < pos + size + 2) return r;
    if (buffer.substr(pos + size, 2) != "\r\n") return fail(400, "chunk not followed by CRLF");
    r.body.append(buffer.substr(pos, size));
    pos += size + 2;
  }
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Entity";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return status < 400 ? "OK" : status < 500 ? "Client Error" : "Server Error";
  }
}

namespace {
void append_headers(std::string& out, const HttpResponse& r) {
  for (const auto& h : r.headers) out += fmt::format("{}: {}\r\n", h.first, h.second);
}
}  // namespace

std::string serialize_response(const HttpResponse& r, bool keep_alive, bool head_only) {
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", r.status, reason_phrase(r.status));
  if (!r.content_type.empty()) out += fmt::format("Content-Type: {}\r\n", r.content_type);
  out += fmt::format("Content-Length: {}\r\nConnection: {}\r\n", r.body.size(),
                     keep_alive ? "keep-alive" : "close");
  append_headers(out, r);
  out += "\r\n";
  if (!head_only) out += r.body;
  return out;
}

std::string serialize_stream_head(const HttpResponse& r) {
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", r.status, reason_phrase(r.status));
  out += fmt::format("Content-Type: {}\r\n",
                     r.content_type.empty() ? "text/event-stream" : r.content_type);
  out += "Cache-Control: no-cache\r\nConnection: close\r\n";
  append_headers(out, r);
  out += "\r\n";
  return out;
}

std::string sse_event(std::string_view event, std::string_view data) {
  std::string out;
  if (!event.empty()) out += fmt::format("event: {}\n", event);
  size_t start = 0;
  while (true) {
    const size_t e = data.find('\n', start);
    out +=
        fmt::format("data: {}\n", data.substr(start, e == std::string_view::npos ? e : e - start));
    if (e == std::string_view::npos) break;
    start = e + 1;
  }
  out += "\n";
  return out;
}

}  // namespace bog::serve
