#include "s3_request.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include "base64.h"
#include "uri_encoding.h"

namespace storeflow::plugins::storage::s3 {
namespace {

const Digest& EmptyDigest() {
  static const Digest digest = Sha256Digest("");
  return digest;
}

Request Make(std::string operation, std::string method, const Location& location,
             std::string_view key) {
  Request r;
  r.operation = std::move(operation);
  r.method = std::move(method);
  r.target = MakeTarget(location.endpoint, location.addressing, location.bucket, key);
  r.payload_sha256 = EmptyDigest().hex;
  return r;
}

void AddQuery(std::string& query, std::string_view name, std::string_view value) {
  if (!query.empty()) query += '&';
  query += aws::UriEncode(name, false);
  query += '=';
  query += aws::UriEncode(value, false);
}

}  // namespace

Digest Sha256Digest(std::string_view bytes) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(bytes.data(), static_cast<unsigned>(bytes.size()));
  const Poco::DigestEngine::Digest& raw = engine.digest();
  Digest d;
  d.hex = Poco::DigestEngine::digestToHex(raw);
  d.base64 = Base64Encode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  return d;
}

Request PutObjectRequest(const Location& location, std::string_view key, std::string_view bytes,
                         const Digest& digest, std::string_view content_type,
                         const Encryption& encryption) {
  Request r = Make("PutObject", "PUT", location, key);
  r.body = bytes;
  r.payload_sha256 = digest.hex;
  r.headers.push_back({"Content-Type", std::string(content_type)});
  r.headers.push_back({"Content-Length", std::to_string(bytes.size())});
  r.headers.push_back({"x-amz-checksum-sha256", digest.base64});
  if (!encryption.algorithm.empty()) {
    r.headers.push_back({"x-amz-server-side-encryption", encryption.algorithm});
    if (!encryption.kms_key_id.empty()) {
      r.headers.push_back({"x-amz-server-side-encryption-aws-kms-key-id", encryption.kms_key_id});
    }
  }
  return r;
}

Request GetObjectRequest(const Location& location, std::string_view key) {
  Request r = Make("GetObject", "GET", location, key);
  r.headers.push_back({"x-amz-checksum-mode", "ENABLED"});
  return r;
}

Request HeadObjectRequest(const Location& location, std::string_view key) {
  return Make("HeadObject", "HEAD", location, key);
}

Request DeleteObjectRequest(const Location& location, std::string_view key) {
  return Make("DeleteObject", "DELETE", location, key);
}

Request ListObjectsV2Request(const Location& location, std::string_view prefix,
                             std::string_view continuation_token, std::size_t max_keys) {
  Request r = Make("ListObjectsV2", "GET", location, "");
  AddQuery(r.query, "list-type", "2");
  if (!continuation_token.empty()) AddQuery(r.query, "continuation-token", continuation_token);
  AddQuery(r.query, "encoding-type", "url");
  AddQuery(r.query, "max-keys", std::to_string(max_keys));
  AddQuery(r.query, "prefix", prefix);
  return r;
}

Request CreateBucketRequest(const Location& location, std::string_view region, std::string& body) {
  Request r = Make("CreateBucket", "PUT", location, "");
  body.clear();
  if (region != "us-east-1") {
    body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" +
        std::string(region) + "</LocationConstraint></CreateBucketConfiguration>";
    r.headers.push_back({"Content-Type", "application/xml"});
  }
  r.headers.push_back({"Content-Length", std::to_string(body.size())});
  r.body = body;
  r.payload_sha256 = Sha256Digest(body).hex;
  return r;
}

}  // namespace storeflow::plugins::storage::s3
