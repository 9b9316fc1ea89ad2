// The incremental HTTP/1.1 request parser: every framing rule, fed whole and
// byte by byte.

#include "http/request_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace storeflow::http {
namespace {

ParserLimits Limits() {
  ParserLimits limits;
  limits.head_limit = 1024;
  limits.body_limit = 100;
  return limits;
}

// Feeds `text` whole; returns the bytes used.
std::size_t FeedAll(RequestParser& parser, std::string_view text) {
  return parser.Feed(text);
}

// Feeds `text` one byte at a time until the parser is done or failed.
std::size_t FeedBytes(RequestParser& parser, std::string_view text) {
  std::size_t used = 0;
  while (used < text.size() && !parser.done() && !parser.failed()) {
    used += parser.Feed(text.substr(used, 1));
  }
  return used;
}

// Both ways give the same outcome; returns the status (0 when parsed).
int StatusOf(std::string_view text, ParserLimits limits = Limits()) {
  RequestParser whole(limits);
  FeedAll(whole, text);
  RequestParser bytes(limits);
  FeedBytes(bytes, text);
  EXPECT_EQ(whole.failed(), bytes.failed()) << text;
  EXPECT_EQ(whole.done(), bytes.done()) << text;
  EXPECT_EQ(whole.error_status(), bytes.error_status()) << text;
  if (whole.failed()) {
    EXPECT_FALSE(whole.error_message().empty());
    return whole.error_status();
  }
  return whole.done() ? 0 : -1;  // -1: incomplete
}

TEST(RequestParserTest, SimpleGetWholeAndByteByByte) {
  const std::string text = "GET /a/b?x=1 HTTP/1.1\r\nHost: h\r\nX-Thing:  v a l \r\n\r\n";
  for (int mode = 0; mode < 2; ++mode) {
    RequestParser parser(Limits());
    EXPECT_TRUE(parser.idle());
    const std::size_t used = mode == 0 ? FeedAll(parser, text) : FeedBytes(parser, text);
    EXPECT_EQ(used, text.size());
    ASSERT_TRUE(parser.done());
    EXPECT_FALSE(parser.idle());
    const ParsedRequest& r = parser.request();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.target, "/a/b?x=1");
    EXPECT_EQ(r.minor_version, 1);
    ASSERT_EQ(r.headers.size(), 2u);
    EXPECT_EQ(r.headers[0].first, "host");
    EXPECT_EQ(r.headers[1].first, "x-thing");
    EXPECT_EQ(r.headers[1].second, "v a l");
    EXPECT_TRUE(r.keep_alive);
    EXPECT_TRUE(r.body.empty());
  }
}

TEST(RequestParserTest, HeadIsIncompleteUntilTheEmptyLine) {
  RequestParser parser(Limits());
  parser.Feed("GET / HTTP/1.1\r\nHost: h\r\n");
  EXPECT_FALSE(parser.head_complete());
  EXPECT_FALSE(parser.done());
  parser.Feed("\r");
  EXPECT_FALSE(parser.done());
  parser.Feed("\n");
  EXPECT_TRUE(parser.done());
}

TEST(RequestParserTest, BareLfLineEndsAndLeadingEmptyLinesAreAccepted) {
  EXPECT_EQ(StatusOf("\r\n\r\nGET / HTTP/1.1\nHost: h\n\n"), 0);
}

TEST(RequestParserTest, ContentLengthBody) {
  const std::string text = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
  RequestParser parser(Limits());
  EXPECT_EQ(FeedBytes(parser, text), text.size());
  ASSERT_TRUE(parser.done());
  EXPECT_EQ(parser.request().body, "hello");
  EXPECT_EQ(StatusOf("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n"
                     "content-length: 5\r\n\r\nhello"),
            0);
}

TEST(RequestParserTest, PipelinedRequestsStopAtTheEndOfEach) {
  const std::string first = "POST /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
  const std::string second = "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string text = first + second;
  RequestParser parser(Limits());
  const std::size_t used = parser.Feed(text);
  EXPECT_EQ(used, first.size());
  ASSERT_TRUE(parser.done());
  EXPECT_EQ(parser.request().body, "abc");
  parser.Reset();
  EXPECT_TRUE(parser.idle());
  EXPECT_EQ(parser.Feed(std::string_view(text).substr(used)), second.size());
  ASSERT_TRUE(parser.done());
  EXPECT_EQ(parser.request().target, "/2");
}

TEST(RequestParserTest, ChunkedWithExtensionsAndTrailers) {
  const std::string text =
      "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n"
      "7 ; x=\"y\"\r\n, world\r\n"
      "0\r\nX-Checksum: abc\r\nX-Other: d\r\n\r\n"
      "GET /next HTTP/1.1\r\n";
  for (int mode = 0; mode < 2; ++mode) {
    RequestParser parser(Limits());
    const std::size_t used = mode == 0 ? FeedAll(parser, text) : FeedBytes(parser, text);
    ASSERT_TRUE(parser.done()) << parser.error_message();
    EXPECT_EQ(parser.request().body, "hello, world");
    EXPECT_EQ(text.substr(used), "GET /next HTTP/1.1\r\n");
  }
}

TEST(RequestParserTest, ChunkedBodyOverTheLimitIsRefusedAsSoonAsItPassesIt) {
  RequestParser parser(Limits());  // body_limit 100
  parser.Feed("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
  parser.Feed("50\r\n" + std::string(0x50, 'a') + "\r\n");
  EXPECT_FALSE(parser.failed());
  parser.Feed("20\r\n");  // 80 + 32 > 100: refused before its data
  ASSERT_TRUE(parser.failed());
  EXPECT_EQ(parser.error_status(), 413);
  EXPECT_EQ(StatusOf("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "fffffffffffffffffff\r\n"),
            413);
}

TEST(RequestParserTest, ContentLengthOverTheLimitIsRefusedFromTheHead) {
  RequestParser parser(Limits());
  parser.Feed("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 101\r\n\r\n");
  ASSERT_TRUE(parser.failed());
  EXPECT_EQ(parser.error_status(), 413);
  EXPECT_NE(parser.error_message().find("limit is 100"), std::string::npos);
  EXPECT_EQ(StatusOf("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n"
                     "\r\n"),
            413);
}

TEST(RequestParserTest, MalformedFramingIsRefused) {
  // Content-Length: not digits, conflicting, empty.
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                     "Content-Length: 4\r\n\r\n"),
            400);
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n"), 400);
  // Transfer-Encoding with Content-Length (request smuggling), in HTTP/1.0, unknown codings.
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(StatusOf("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            501);
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n"), 501);
  // Bad chunk framing.
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "zz\r\n"),
            400);
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "2\r\nabc\r\n"),
            400);
  EXPECT_EQ(StatusOf("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "0\r\n folded: trailer\r\n\r\n"),
            400);
}

TEST(RequestParserTest, MalformedHeadsAreRefused) {
  EXPECT_EQ(StatusOf("GET /\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n"), 400);  // target with a space
  EXPECT_EQ(StatusOf("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(StatusOf("GET / HTTX/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  folded\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: h\r\nX-A : 1\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: h\r\nno colon\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x01z\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n"), 400);
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\n\r\n"), 400);                        // no Host
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);  // two
  EXPECT_EQ(StatusOf("GET / HTTP/1.0\r\n\r\n"), 0);  // HTTP/1.0 needs no Host
  EXPECT_EQ(StatusOf("GET / HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n"), 417);
}

TEST(RequestParserTest, NamesTheHeaderInItsMessage) {
  RequestParser parser(Limits());
  parser.Feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n");
  ASSERT_TRUE(parser.failed());
  EXPECT_NE(parser.error_message().find("Content-Length"), std::string::npos);
}

TEST(RequestParserTest, HeadOverTheCapIs431) {
  const std::string big = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(2000, 'a');
  EXPECT_EQ(StatusOf(big), 431);  // never finished, still refused once over the cap
  EXPECT_EQ(StatusOf(big + "\r\n\r\n"), 431);
  std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
  ParserLimits limits = Limits();
  limits.head_limit = 64 * 1024;
  for (int i = 0; i < 200; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(StatusOf(many + "\r\n", limits), 431);
}

TEST(RequestParserTest, KeepAliveRulesByVersionAndConnection) {
  auto keep_alive = [](std::string_view text) {
    RequestParser parser(Limits());
    parser.Feed(text);
    EXPECT_TRUE(parser.done()) << parser.error_message();
    return parser.request().keep_alive;
  };
  EXPECT_TRUE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\nConnection: te, close\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
}

TEST(RequestParserTest, ExpectContinueIsReportedOnceTheHeadIsIn) {
  RequestParser parser(Limits());
  parser.Feed("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n");
  EXPECT_TRUE(parser.head_complete());
  EXPECT_FALSE(parser.done());
  EXPECT_TRUE(parser.request().expect_continue);
  parser.Feed("ok");
  EXPECT_TRUE(parser.done());
  RequestParser old(Limits());  // HTTP/1.0: ignored
  old.Feed("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(old.done());
  EXPECT_FALSE(old.request().expect_continue);
}

TEST(RequestParserTest, ResetAfterAFailureParsesAgain) {
  RequestParser parser(Limits());
  parser.Feed("BAD\r\n\r\n");
  ASSERT_TRUE(parser.failed());
  parser.Reset();
  parser.Feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_TRUE(parser.done());
}

}  // namespace
}  // namespace storeflow::http
