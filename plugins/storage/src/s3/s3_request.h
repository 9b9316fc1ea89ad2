#pragma once

// The S3 requests the storage backend makes, built as data before they are
// signed and sent (s3_client.h): method, destination, query, headers and body.
// Building is separate from sending so that tests can check what a request
// carries (addressing, encoded key, SSE and checksum headers) without a server.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "s3_address.h"

namespace storeflow::plugins::storage::s3 {

struct Header {
  std::string name;
  std::string value;
};

// Server-side encryption asked for on every PutObject (config).
struct Encryption {
  std::string algorithm;   // "" (the bucket's default), "AES256", "aws:kms", "aws:kms:dsse"
  std::string kms_key_id;  // with aws:kms*: a key id, ARN or alias; "" for the AWS-managed key
};

// The bucket a backend talks to.
struct Location {
  Endpoint endpoint;
  Addressing addressing = Addressing::kPath;
  std::string bucket;
};

struct Request {
  std::string operation;  // "PutObject", for messages
  std::string method;
  Target target;
  std::string query;            // as sent, "" for none ("list-type=2&max-keys=3")
  std::vector<Header> headers;  // signed; Host is added when sending
  std::string_view body;        // not owned: the caller keeps it alive
  std::string payload_sha256;   // lower-case hex of body
};

// Lower-case hex and base64 of the SHA-256 of `bytes`.
struct Digest {
  std::string hex;
  std::string base64;
};
Digest Sha256Digest(std::string_view bytes);

// PUT <key> with Content-Type, Content-Length, x-amz-checksum-sha256 (base64 of
// the body's SHA-256, checked by S3) and the encryption headers.
Request PutObjectRequest(const Location& location, std::string_view key, std::string_view bytes,
                         const Digest& digest, std::string_view content_type,
                         const Encryption& encryption);
// GET <key>, asking for the stored checksum (x-amz-checksum-mode: ENABLED).
Request GetObjectRequest(const Location& location, std::string_view key);
Request HeadObjectRequest(const Location& location, std::string_view key);
Request DeleteObjectRequest(const Location& location, std::string_view key);
// GET ?list-type=2 with prefix, max-keys, continuation-token (when non-empty) and
// encoding-type=url.
Request ListObjectsV2Request(const Location& location, std::string_view prefix,
                             std::string_view continuation_token, std::size_t max_keys);
// PUT of the bucket (with a LocationConstraint outside us-east-1).
Request CreateBucketRequest(const Location& location, std::string_view region, std::string& body);

}  // namespace storeflow::plugins::storage::s3
