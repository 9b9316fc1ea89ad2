#pragma once

// An incremental HTTP/1.1 request parser (RFC 9112) for the server's event
// loop: bytes are fed as they arrive, in pieces of any size (one byte at a
// time works), and the parser says when a request's head and then its whole
// body are in. It never blocks and never holds more than the head cap plus
// the body limit.
//
//   RequestParser parser(limits);
//   std::size_t used = parser.Feed(bytes);   // bytes past a complete request
//   if (parser.failed()) answer parser.error_status(), then close;
//   else if (parser.done()) handle parser.request(), then Reset() and feed
//   the unused rest (pipelining).
//
// Rules: the request line is METHOD SP TARGET SP HTTP/1.0|1.1 (other versions
// 505); header names are tokens, matched case-insensitively (stored
// lower-cased); values without control characters; folded (obs-fold) lines,
// a space before the colon, and a missing or repeated Host in HTTP/1.1 are
// refused (400). The head is capped (431). Content-Length is digits only and
// one value (identical repeats allowed); Transfer-Encoding must be exactly
// `chunked` (501 otherwise) and is refused together with Content-Length or in
// HTTP/1.0 (400). A Content-Length over the body limit is refused (413) before
// any of the body is read; a chunked body as soon as it passes the limit.
// Chunk extensions are skipped, trailers read and dropped. `Expect:
// 100-continue` is reported (expect_continue), other expectations are 417.
// Keep-alive: HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with
// `Connection: keep-alive`.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace storeflow::http {

struct ParserLimits {
  std::size_t head_limit = 64 * 1024;  // request line + headers (and trailers)
  std::size_t body_limit = std::size_t{5} * 1024 * 1024;
  std::size_t max_headers = 128;
};

struct ParsedRequest {
  std::string method;
  std::string target;  // as sent: origin-form "/path?query" (or absolute-form)
  int minor_version = 1;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  bool keep_alive = true;
  bool expect_continue = false;
};

class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits = {});

  // Consumes what it can of `data`; returns the number of bytes used. Stops at
  // the end of a complete request (the rest belongs to the next one) or at an
  // error.
  std::size_t Feed(std::string_view data);

  // No byte of this request has arrived yet.
  bool idle() const { return !started_; }
  // The head is complete (the body may still be coming).
  bool head_complete() const;
  bool done() const { return state_ == State::kDone; }
  bool failed() const { return state_ == State::kFailed; }
  // When failed(): 400, 413, 417, 431, 501 or 505, and what was wrong.
  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_message_; }

  // When head_complete(): method, target, version, headers, flags; when
  // done(): the body too. Valid until Reset().
  ParsedRequest& request() { return request_; }
  const ParsedRequest& request() const { return request_; }

  // Ready for the next request on the same connection.
  void Reset();

 private:
  enum class State {
    kStart,      // skipping empty lines before the request line
    kHead,       // collecting the head up to the empty line
    kBody,       // Content-Length body
    kChunkSize,  // a chunk-size line (with extensions)
    kChunkData,
    kChunkDataEnd,  // the CRLF after a chunk's data
    kTrailers,
    kDone,
    kFailed,
  };

  void Fail(int status, std::string message);
  // The head (without its final empty line) is in head_: parse it.
  void ParseHead();
  bool ParseRequestLine(std::string_view line);
  bool ParseFraming();
  // Reads one line (up to LF) into line_; true when complete.
  bool TakeLine(std::string_view data, std::size_t& pos, std::size_t cap, int status,
                const char* what);
  void ParseChunkSize();

  ParserLimits limits_;
  State state_ = State::kStart;
  bool started_ = false;
  std::size_t blank_lines_ = 0;  // empty lines skipped before the request line
  std::string head_;
  std::size_t scanned_ = 0;  // head_ before this has no end of head
  std::string line_;         // a chunk-size or trailer line being collected
  std::size_t trailer_bytes_ = 0;
  std::uint64_t remaining_ = 0;  // body or chunk bytes still to read
  ParsedRequest request_;
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace storeflow::http
