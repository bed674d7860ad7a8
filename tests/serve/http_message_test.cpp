// Framing rules of the HTTP layer's parser and serializer (serve/http_message.h) on buffers.
#include "serve/http_message.h"

#include <gtest/gtest.h>

namespace bog::serve {
namespace {

TEST(HttpHead, ParsesMethodPathQueryHeadersAndLength) {
  const std::string req =
      "POST /v2/models/a%2Fb/infer?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
      "Connection: Keep-Alive\r\nExpect: 100-continue\r\n\r\nhello";
  const HeadResult r = parse_head(req, 1024, 100);
  ASSERT_EQ(r.status, HeadResult::kDone) << r.error_message;
  EXPECT_EQ(r.request.method, "POST");
  EXPECT_EQ(r.request.path, "/v2/models/a/b/infer");
  EXPECT_EQ(r.request.query, "x=1");
  EXPECT_EQ(*r.request.header("host"), "h");
  EXPECT_EQ(r.framing, BodyFraming::kLength);
  EXPECT_EQ(r.content_length, 5u);
  EXPECT_TRUE(r.expect_continue);
  EXPECT_TRUE(r.request.keep_alive());
  EXPECT_EQ(r.head_bytes, req.size() - 5);
}

TEST(HttpHead, IncompleteUntilTheBlankLineAndEachErrorHasItsStatus) {
  EXPECT_EQ(parse_head("GET / HTTP/1.1\r\nHost: h\r\n", 1024, 100).status, HeadResult::kIncomplete);
  const auto status = [](const std::string& s, size_t max_head = 1024) {
    const HeadResult r = parse_head(s, max_head, 100);
    return r.status == HeadResult::kError ? r.error_status : 0;
  };
  EXPECT_EQ(status("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a')), 431);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nContent-Length: 101\r\n\r\n"), 413);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(status("GET /\r\n\r\n"), 400);
  EXPECT_EQ(status("GET nopath HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status("GET /%zz HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status("GET / HTTP/1.1\r\nno colon\r\n\r\n"), 400);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), 501);
  EXPECT_EQ(status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
            400);
}

TEST(HttpHead, KeepAliveFollowsTheVersionAndConnectionHeader) {
  EXPECT_FALSE(parse_head("GET / HTTP/1.0\r\n\r\n", 1024, 0).request.keep_alive());
  EXPECT_TRUE(
      parse_head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1024, 0).request.keep_alive());
  EXPECT_FALSE(
      parse_head("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 1024, 0).request.keep_alive());
}

TEST(HttpChunked, DecodesChunksExtensionsAndTrailers) {
  const std::string body = "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
  const ChunkedResult r = decode_chunked(body, 100);
  ASSERT_EQ(r.status, ChunkedResult::kDone) << r.error_message;
  EXPECT_EQ(r.body, "hello world");
  EXPECT_EQ(body.substr(r.consumed), "NEXT");
  EXPECT_EQ(decode_chunked("5\r\nhel", 100).status, ChunkedResult::kIncomplete);
  EXPECT_EQ(decode_chunked("5\r\nhello\r\n0\r\n", 100).status, ChunkedResult::kIncomplete);
  EXPECT_EQ(decode_chunked("zz\r\n", 100).error_status, 400);
  EXPECT_EQ(decode_chunked("65\r\n", 100).error_status, 413);  // 101 bytes
  EXPECT_EQ(decode_chunked("2\r\nabc\r\n", 100).error_status, 400);
}

TEST(HttpResponseBytes, CarryLengthConnectionAndHeadersAndHeadOmitsTheBody) {
  HttpResponse r;
  r.status = 503;
  r.body = "{}";
  r.set_header("Retry-After", "1");
  r.set_header("retry-after", "2");  // replaces, case-insensitively
  EXPECT_EQ(serialize_response(r, false, false),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            "Content-Length: 2\r\nConnection: close\r\nRetry-After: 2\r\n\r\n{}");
  const std::string head = serialize_response(r, true, true);
  EXPECT_NE(head.find("Content-Length: 2\r\nConnection: keep-alive"), std::string::npos);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  EXPECT_EQ(sse_event("token", "a\nb"), "event: token\ndata: a\ndata: b\n\n");
  EXPECT_EQ(sse_event("", "x"), "data: x\n\n");
}

}  // namespace
}  // namespace bog::serve
