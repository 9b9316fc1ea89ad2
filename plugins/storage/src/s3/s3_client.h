#pragma once

// One bucket spoken to over S3's REST API: each call builds its request
// (s3_request.h), signs it with SigV4 (service s3, plugins/aws's signer; the
// payload's SHA-256 is signed, never UNSIGNED-PAYLOAD: the body is in memory
// anyway and the signed hash protects it over plain http too), sends it on a new
// connection and reads the answer. Failures are sdk::Error (s3_error.h).
// Thread-safe: calls share nothing but the options.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "s3_credentials.h"
#include "s3_request.h"
#include "s3_xml.h"

namespace storeflow::plugins::storage::s3 {

struct ClientOptions {
  Location location;
  std::string region;
  Encryption encryption;
  std::chrono::milliseconds timeout{30'000};          // connect, send and receive, each
  std::uint64_t max_object_bytes = 32 * 1024 * 1024;  // GetObject refuses more
};

struct PutResult {
  std::string etag;                    // without quotes
  std::string checksum_sha256;         // base64, as S3 stored it (what was sent when not echoed)
  std::string server_side_encryption;  // as S3 answered, "" when not said
};

struct ObjectHead {
  std::uint64_t size = 0;
  std::string content_type;
  std::string etag;
  std::string checksum_sha256;  // "" unless S3 has a full-object SHA-256
  std::string server_side_encryption;
};

struct Object {
  ObjectHead head;
  std::string bytes;
};

class Client {
 public:
  Client(ClientOptions options, CredentialsSource credentials);

  // Stores the object with its content type, checksum and encryption headers.
  // `digest` is the SHA-256 of `bytes` (signed as the payload hash and sent as
  // x-amz-checksum-sha256).
  PutResult PutObject(std::string_view key, std::string_view bytes, const Digest& digest,
                      std::string_view content_type) const;
  // nullopt for NoSuchKey. Refuses (too_large) an object over max_object_bytes and
  // (storage_checksum, retryable) bytes whose SHA-256 differs from the one S3 kept.
  std::optional<Object> GetObject(std::string_view key) const;
  // nullopt for 404 (a HEAD answer has no body to tell a missing key from a
  // missing bucket).
  std::optional<ObjectHead> HeadObject(std::string_view key) const;
  // S3 answers 204 whether or not the key existed.
  void DeleteObject(std::string_view key) const;
  ListResult ListObjectsV2(std::string_view prefix, std::string_view continuation_token,
                           std::size_t max_keys) const;
  // Creates the bucket; one that already exists and is ours is fine. For tests
  // and setup tools (the plugin never creates buckets).
  void CreateBucket() const;

  const ClientOptions& options() const { return options_; }

 private:
  struct Response;
  Response Send(const Request& request, std::string_view key, std::uint64_t max_body) const;

  ClientOptions options_;
  CredentialsSource credentials_;
};

}  // namespace storeflow::plugins::storage::s3
