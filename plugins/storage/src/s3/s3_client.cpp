#include "s3_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Timespan.h>

#include <algorithm>
#include <cctype>
#include <istream>
#include <memory>
#include <ostream>
#include <vector>

#include "s3_error.h"
#include "sigv4_signer.h"
#include "storage_key.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::storage::s3 {
namespace {

using sdk::Error;

// The most of an error answer's body kept (the rest is read and dropped).
constexpr std::uint64_t kMaxErrorBody = 64 * 1024;
constexpr std::uint64_t kMaxListBody = 8 * 1024 * 1024;

Poco::Net::Context::Ptr TlsContext() {
  static Poco::Net::Context::Ptr context = new Poco::Net::Context(
      Poco::Net::Context::TLS_CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_STRICT, 9,
      /*loadDefaultCAs=*/true);
  return context;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsFullObjectSha256(const std::string& checksum, const std::string& type) {
  return !checksum.empty() && checksum.find('-') == std::string::npos &&
         !EqualsIgnoreCase(type, "COMPOSITE");
}

}  // namespace

struct Client::Response {
  int status = 0;
  std::vector<Header> headers;
  std::string body;
  bool over_limit = false;  // the body was longer than the limit (cut there)

  std::string Get(std::string_view name) const {
    for (const Header& h : headers) {
      if (EqualsIgnoreCase(h.name, name)) return h.value;
    }
    return "";
  }
  bool ok() const { return status >= 200 && status < 300; }
  Answer AsAnswer() const { return Answer{status, body, Get("x-amz-request-id")}; }
};

Client::Client(ClientOptions options, CredentialsSource credentials)
    : options_(std::move(options)), credentials_(std::move(credentials)) {}

Client::Response Client::Send(const Request& request, std::string_view key,
                              std::uint64_t max_body) const {
  const Location& location = options_.location;
  const Credentials credentials = credentials_();

  aws::HttpRequest to_sign;
  to_sign.method = request.method;
  to_sign.path = request.target.path;
  to_sign.query = request.query;
  to_sign.headers.push_back({"Host", request.target.host_header});
  for (const Header& h : request.headers) to_sign.headers.push_back({h.name, h.value});
  to_sign.payload_sha256 = request.payload_sha256;  // the body is not copied to be hashed
  const aws::SigV4Signer signer(aws::SigningOptions::ForS3(options_.region));
  auto signature = signer.SignHeaders(
      to_sign, aws::Credentials{credentials.access_key_id, credentials.secret_access_key,
                                credentials.session_token});
  if (!signature.ok()) {
    throw Error::Permanent("s3_signing",
                           "S3 " + DescribeCall(request, key, location) +
                               " could not be signed: " + signature.status().message());
  }

  Response response;
  try {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (request.target.scheme == "https") {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(request.target.connect_host,
                                                                request.target.port, TlsContext());
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(request.target.connect_host,
                                                               request.target.port);
    }
    const auto ms = options_.timeout.count();
    const Poco::Timespan span(static_cast<long>(ms / 1000), static_cast<long>((ms % 1000) * 1000));
    session->setTimeout(span, span, span);
    std::string target = request.target.path;
    if (!request.query.empty()) target += "?" + request.query;
    Poco::Net::HTTPRequest http(request.method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const aws::HttpHeader& h : to_sign.headers) {
      if (!EqualsIgnoreCase(h.name, "Content-Length")) http.set(h.name, h.value);
    }
    for (const aws::HttpHeader& h : signature->headers) http.set(h.name, h.value);
    http.set("User-Agent", "storeflow-storage");
    if (request.method == "PUT" || request.method == "POST" || !request.body.empty()) {
      http.setContentLength64(static_cast<Poco::Int64>(request.body.size()));
    }
    std::ostream& out = session->sendRequest(http);
    out.write(request.body.data(), static_cast<std::streamsize>(request.body.size()));
    out.flush();
    if (!out) throw Poco::IOException("the request body could not be sent");

    Poco::Net::HTTPResponse answer;
    std::istream& in = session->receiveResponse(answer);
    response.status = static_cast<int>(answer.getStatus());
    for (const auto& [name, value] : answer) response.headers.push_back({name, value});
    if (request.method != "HEAD") {
      const std::uint64_t limit = response.ok() ? max_body : kMaxErrorBody;
      const Poco::Int64 declared = answer.getContentLength64();
      if (response.ok() && declared != Poco::Net::HTTPMessage::UNKNOWN_CONTENT_LENGTH &&
          static_cast<std::uint64_t>(declared) > limit) {
        response.over_limit = true;
        return response;  // not read: the connection is dropped
      }
      char buffer[16 * 1024];
      while (in) {
        in.read(buffer, sizeof buffer);
        const auto got = static_cast<std::uint64_t>(in.gcount());
        if (got == 0) break;
        if (response.body.size() + got > limit) {
          response.body.append(buffer, static_cast<std::size_t>(limit - response.body.size()));
          if (response.ok()) {
            response.over_limit = true;
            return response;
          }
          break;
        }
        response.body.append(buffer, static_cast<std::size_t>(got));
      }
      if (response.ok() && declared != Poco::Net::HTTPMessage::UNKNOWN_CONTENT_LENGTH &&
          static_cast<std::uint64_t>(declared) != response.body.size()) {
        throw Poco::IOException("the answer ended after " + std::to_string(response.body.size()) +
                                " of its " + std::to_string(declared) + " bytes");
      }
    }
  } catch (const Poco::Exception& e) {
    throw S3NetworkFailure(request, key, location, e.displayText());
  } catch (const std::ios_base::failure& e) {
    throw S3NetworkFailure(request, key, location, e.what());
  }
  return response;
}

PutResult Client::PutObject(std::string_view key, std::string_view bytes, const Digest& digest,
                            std::string_view content_type) const {
  const Request request =
      PutObjectRequest(options_.location, key, bytes, digest, content_type, options_.encryption);
  const Response response = Send(request, key, kMaxErrorBody);
  if (!response.ok()) throw S3Failure(request, key, options_.location, response.AsAnswer());
  PutResult result;
  result.etag = UnquoteEtag(response.Get("ETag"));
  result.server_side_encryption = response.Get("x-amz-server-side-encryption");
  const std::string stored = response.Get("x-amz-checksum-sha256");
  if (!stored.empty() && stored != digest.base64) {
    throw Error::Retryable("storage_checksum", "S3 " +
                                                   DescribeCall(request, key, options_.location) +
                                                   ": S3 kept the SHA-256 " + stored + " but " +
                                                   digest.base64 + " was sent");
  }
  result.checksum_sha256 = stored.empty() ? digest.base64 : stored;
  return result;
}

std::optional<Object> Client::GetObject(std::string_view key) const {
  const Request request = GetObjectRequest(options_.location, key);
  Response response = Send(request, key, options_.max_object_bytes);
  if (response.status == 404) {
    auto doc = ParseErrorDocument(response.body);
    if (!doc || doc->code == "NoSuchKey") return std::nullopt;
  }
  if (!response.ok()) throw S3Failure(request, key, options_.location, response.AsAnswer());
  if (response.over_limit) {
    throw Error::Permanent("too_large", "storage key " + DisplayKey(key) + " in bucket \"" +
                                            options_.location.bucket + "\" is larger than " +
                                            "`max_object_bytes` (" +
                                            std::to_string(options_.max_object_bytes) + ")");
  }
  Object object;
  object.head.size = response.body.size();
  object.head.content_type = response.Get("Content-Type");
  object.head.etag = UnquoteEtag(response.Get("ETag"));
  object.head.server_side_encryption = response.Get("x-amz-server-side-encryption");
  const std::string stored = response.Get("x-amz-checksum-sha256");
  if (IsFullObjectSha256(stored, response.Get("x-amz-checksum-type"))) {
    const Digest digest = Sha256Digest(response.body);
    if (digest.base64 != stored) {
      throw Error::Retryable("storage_checksum",
                             "S3 " + DescribeCall(request, key, options_.location) +
                                 ": the bytes read have the SHA-256 " + digest.base64 +
                                 ", S3 kept " + stored + " (corrupted in transit?)");
    }
    object.head.checksum_sha256 = stored;
  }
  object.bytes = std::move(response.body);
  return object;
}

std::optional<ObjectHead> Client::HeadObject(std::string_view key) const {
  const Request request = HeadObjectRequest(options_.location, key);
  const Response response = Send(request, key, 0);
  if (response.status == 404) return std::nullopt;
  if (!response.ok()) throw S3Failure(request, key, options_.location, response.AsAnswer());
  ObjectHead head;
  const std::string length = response.Get("Content-Length");
  try {
    head.size = length.empty() ? 0 : std::stoull(length);
  } catch (const std::exception&) {
    throw Error::Retryable("s3_bad_response",
                           "S3 " + DescribeCall(request, key, options_.location) +
                               " answered a Content-Length that is not a number");
  }
  head.content_type = response.Get("Content-Type");
  head.etag = UnquoteEtag(response.Get("ETag"));
  head.server_side_encryption = response.Get("x-amz-server-side-encryption");
  const std::string stored = response.Get("x-amz-checksum-sha256");
  if (IsFullObjectSha256(stored, response.Get("x-amz-checksum-type"))) {
    head.checksum_sha256 = stored;
  }
  return head;
}

void Client::DeleteObject(std::string_view key) const {
  const Request request = DeleteObjectRequest(options_.location, key);
  const Response response = Send(request, key, kMaxErrorBody);
  if (response.status == 404) {
    auto doc = ParseErrorDocument(response.body);
    if (doc && doc->code == "NoSuchKey") return;
  }
  if (!response.ok()) throw S3Failure(request, key, options_.location, response.AsAnswer());
}

ListResult Client::ListObjectsV2(std::string_view prefix, std::string_view continuation_token,
                                 std::size_t max_keys) const {
  const Request request =
      ListObjectsV2Request(options_.location, prefix, continuation_token, max_keys);
  const Response response = Send(request, "", kMaxListBody);
  if (!response.ok()) throw S3Failure(request, "", options_.location, response.AsAnswer());
  std::string problem;
  auto result = response.over_limit ? std::nullopt : ParseListResult(response.body, &problem);
  if (!result) {
    if (response.over_limit) problem = "the answer is larger than 8 MiB";
    throw Error::Retryable("s3_bad_response",
                           "S3 " + DescribeCall(request, "", options_.location) + ": " + problem);
  }
  return *result;
}

void Client::CreateBucket() const {
  std::string body;
  const Request request = CreateBucketRequest(options_.location, options_.region, body);
  const Response response = Send(request, "", kMaxErrorBody);
  if (response.ok()) return;
  auto doc = ParseErrorDocument(response.body);
  if (doc && doc->code == "BucketAlreadyOwnedByYou") return;
  throw S3Failure(request, "", options_.location, response.AsAnswer());
}

}  // namespace storeflow::plugins::storage::s3
