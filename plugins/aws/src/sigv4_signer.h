#pragma once

// AWS Signature Version 4 (AWS4-HMAC-SHA256): the Authorization-header form and the
// presigned-URL (query) form. One implementation for every AWS plugin; proven against
// the official test suites (tests/sigv4_vectors_test.cpp).

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "credentials.h"
#include "http_request.h"

namespace storeflow::plugins::aws {

// Where temporary credentials' session token goes.
enum class SessionTokenPlacement {
  kSigned,             // X-Amz-Security-Token is part of the canonical request (most services)
  kAddedAfterSigning,  // added to the request after the signature is computed
};

struct SigningOptions {
  std::string region;   // "us-east-1"
  std::string service;  // "sqs", "s3", "ses"
  // Remove "."/".." and empty path segments before signing (every service but S3).
  bool normalize_path = true;
  // Encode the path as given, so "%" becomes "%25" (every service but S3). When
  // false the path is decoded and encoded once.
  bool double_encode_path = true;
  // Add and sign x-amz-content-sha256 with the payload hash (S3 requires it). Header
  // form only: a presigned URL never carries it.
  bool content_sha256_header = false;
  // Sign the literal UNSIGNED-PAYLOAD instead of the body's hash (S3 only).
  bool unsigned_payload = false;
  SessionTokenPlacement session_token = SessionTokenPlacement::kSigned;

  // The settings S3 needs: no normalisation, no double encoding, x-amz-content-sha256.
  static SigningOptions ForS3(std::string region);
  static SigningOptions ForService(std::string service, std::string region);
};

// The intermediate values, for tests and for debugging a signature mismatch with
// the error AWS returns. They hold no secret key, but the canonical request holds the
// session token when it is signed: do not log it.
struct SigningTrace {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lower-case hex
};

struct HeaderSignature {
  // Add these to the request, in this order: X-Amz-Security-Token (with temporary
  // credentials), X-Amz-Date and x-amz-content-sha256 (unless the request had them
  // with the same value), Authorization.
  std::vector<HttpHeader> headers;
  std::string authorization;  // the Authorization value (also in `headers`)
  SigningTrace trace;
};

struct PresignedRequest {
  // The request's query with X-Amz-Algorithm, -Credential, -Date, -SignedHeaders,
  // -Expires, -Security-Token (with temporary credentials) and -Signature appended.
  std::string query;
  std::string target;  // path + "?" + query: the request line's target
  SigningTrace trace;
};

// Signs the chunks of an S3 streamed upload (Content-Encoding: aws-chunked, payload
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD), each chained to the previous signature, the
// first to the request's (seed) signature. Holds the derived signing key (valid for
// one day, region and service; never the secret), wiped on destruction.
class ChunkSigner {
 public:
  ChunkSigner(std::string signing_key, std::string amz_date, std::string scope,
              std::string seed_signature);
  ~ChunkSigner();
  ChunkSigner(ChunkSigner&&) = default;
  ChunkSigner& operator=(ChunkSigner&&) = default;
  ChunkSigner(const ChunkSigner&) = delete;
  ChunkSigner& operator=(const ChunkSigner&) = delete;

  // The signature of the next chunk. The upload ends with an empty chunk.
  std::string Sign(std::string_view chunk);
  // The next chunk as sent: hex size ";chunk-signature=" signature CRLF data CRLF.
  std::string Frame(std::string_view chunk);

 private:
  std::string key_;
  std::string amz_date_;
  std::string scope_;
  std::string previous_;
};

struct StreamingUpload {
  HeaderSignature seed;  // headers to add, as SignHeaders
  ChunkSigner chunks;    // then frame the body's chunks with this, ending with ""
};

// Content-Length of an aws-chunked body: `decoded_length` bytes framed in chunks of
// `chunk_size` (the last one shorter), then the final empty chunk. 0 for chunk_size 0.
std::uint64_t AwsChunkedLength(std::uint64_t decoded_length, std::uint64_t chunk_size);

// The maximum of X-Amz-Expires: 7 days.
inline constexpr std::chrono::seconds kMaxPresignExpiry{7 * 24 * 3600};

class SigV4Signer {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // `clock` gives the signing time; empty: the system clock.
  explicit SigV4Signer(SigningOptions options, Clock clock = {});

  // The Authorization-header form. Errors (InvalidArgument) name the header, query
  // parameter or option that is wrong, never the secret key or the token.
  Result<HeaderSignature> SignHeaders(const HttpRequest& request,
                                      const Credentials& credentials) const;

  // An S3 streamed upload: the header form with the payload
  // STREAMING-AWS4-HMAC-SHA256-PAYLOAD (x-amz-content-sha256 is added), and the signer
  // of the chunks. The request must carry Content-Encoding: aws-chunked,
  // x-amz-decoded-content-length and Content-Length (AwsChunkedLength), and no body.
  Result<StreamingUpload> SignStreaming(const HttpRequest& request,
                                        const Credentials& credentials) const;

  // The presigned-URL form, valid for `expires` (1 s to 7 days) from the signing time.
  Result<PresignedRequest> Presign(const HttpRequest& request, const Credentials& credentials,
                                   std::chrono::seconds expires) const;

  const SigningOptions& options() const { return options_; }

 private:
  SigningOptions options_;
  Clock clock_;
};

// "20150830T123600Z" for a time (UTC).
std::string AmzDate(std::chrono::system_clock::time_point time);

// The signing key: HMAC chain over "AWS4" + secret, date (YYYYMMDD), region, service,
// "aws4_request". Raw bytes.
std::string DeriveSigningKey(std::string_view secret_access_key, std::string_view date,
                             std::string_view region, std::string_view service);

}  // namespace storeflow::plugins::aws
