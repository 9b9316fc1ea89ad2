// What the s3 client puts on the wire and how it reads answers the emulators
// never give, against a scripted HTTP server on 127.0.0.1 (Poco's HTTPServer):
// the signed headers of a PutObject with SSE-KMS and a session token, and
// SlowDown / 5xx / AccessDenied / checksum-mismatch answers.
#include <gtest/gtest.h>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "s3_client.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::storage::s3 {
namespace {

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr char kToken[] = "FQoGZXIvYXdzEXAMPLESESSIONTOKEN";

struct Seen {
  std::string method;
  std::string uri;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct Canned {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Records every request and answers each with `answer`.
struct Script {
  std::mutex mutex;
  std::vector<Seen> seen;
  Canned answer;
};

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(Script& script) : script_(script) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    Seen seen;
    seen.method = request.getMethod();
    seen.uri = request.getURI();
    for (const auto& [name, value] : request) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      seen.headers[lower] = value;
    }
    Poco::StreamCopier::copyToString(request.stream(), seen.body);
    Canned answer;
    {
      std::lock_guard<std::mutex> lock(script_.mutex);
      script_.seen.push_back(seen);
      answer = script_.answer;
    }
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    for (const auto& [name, value] : answer.headers) response.set(name, value);
    if (seen.method == "HEAD") {
      response.send();
      return;
    }
    response.setContentLength64(static_cast<Poco::Int64>(answer.body.size()));
    response.send() << answer.body;
  }

 private:
  Script& script_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(Script& script) : script_(script) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(script_);
  }

 private:
  Script& script_;
};

class S3WireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setKeepAlive(false);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(script_), socket, params);
    server_->start();
  }
  void TearDown() override { server_->stopAll(true); }

  Client MakeClient(Encryption encryption = {}, std::uint64_t max_bytes = 1 << 20) {
    ClientOptions o;
    o.location.endpoint = ParseEndpoint("http://127.0.0.1:" + std::to_string(port_));
    o.location.addressing = Addressing::kPath;
    o.location.bucket = "files";
    o.region = "eu-west-1";
    o.encryption = std::move(encryption);
    o.timeout = std::chrono::milliseconds(10'000);
    o.max_object_bytes = max_bytes;
    return Client(o, [] { return Credentials{"AKIDEXAMPLE", kSecret, kToken}; });
  }
  void Answer(Canned canned) {
    std::lock_guard<std::mutex> lock(script_.mutex);
    script_.answer = std::move(canned);
  }
  std::vector<Seen> SeenRequests() {
    std::lock_guard<std::mutex> lock(script_.mutex);
    return script_.seen;
  }

  Script script_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
};

template <typename F>
sdk::Error Thrown(F&& f) {
  try {
    f();
  } catch (const sdk::Error& e) {
    return e;
  }
  return sdk::Error::Permanent("none", "no error was thrown");
}

TEST_F(S3WireTest, PutCarriesSignedEncryptionChecksumAndContentType) {
  Answer({200, {{"ETag", "\"abc123\""}}, ""});
  const std::string body = "hello";
  PutResult put = MakeClient(Encryption{"aws:kms", "alias/storeflow"})
                      .PutObject("inv/a b.txt", body, Sha256Digest(body), "text/plain");
  EXPECT_EQ(put.etag, "abc123");
  EXPECT_EQ(put.checksum_sha256, Sha256Digest(body).base64);  // not echoed: the one sent

  auto seen = SeenRequests();
  ASSERT_EQ(seen.size(), 1u);
  const Seen& r = seen[0];
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.uri, "/files/inv/a%20b.txt");
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.headers.at("host"), "127.0.0.1:" + std::to_string(port_));
  EXPECT_EQ(r.headers.at("content-type"), "text/plain");
  EXPECT_EQ(r.headers.at("content-length"), "5");
  EXPECT_EQ(r.headers.at("x-amz-server-side-encryption"), "aws:kms");
  EXPECT_EQ(r.headers.at("x-amz-server-side-encryption-aws-kms-key-id"), "alias/storeflow");
  EXPECT_EQ(r.headers.at("x-amz-checksum-sha256"), Sha256Digest(body).base64);
  EXPECT_EQ(r.headers.at("x-amz-content-sha256"), Sha256Digest(body).hex);
  EXPECT_EQ(r.headers.at("x-amz-security-token"), kToken);
  const std::string& auth = r.headers.at("authorization");
  EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 0), 0u) << auth;
  EXPECT_NE(auth.find("/eu-west-1/s3/aws4_request"), std::string::npos) << auth;
  for (const char* signed_header :
       {"content-type", "host", "x-amz-checksum-sha256", "x-amz-content-sha256", "x-amz-date",
        "x-amz-security-token", "x-amz-server-side-encryption",
        "x-amz-server-side-encryption-aws-kms-key-id"}) {
    EXPECT_NE(auth.find(signed_header), std::string::npos) << signed_header << " in " << auth;
  }
  for (const auto& [name, value] : r.headers) {
    EXPECT_EQ(value.find(kSecret), std::string::npos) << name;
  }
}

TEST_F(S3WireTest, ListSendsTheContinuationTokenAndReadsTheNextOne) {
  Answer({200,
          {{"Content-Type", "application/xml"}},
          "<ListBucketResult><IsTruncated>true</IsTruncated>"
          "<NextContinuationToken>next/tok=</NextContinuationToken>"
          "<Contents><Key>a</Key><Size>1</Size><ETag>\"e1\"</ETag></Contents>"
          "</ListBucketResult>"});
  ListResult page = MakeClient().ListObjectsV2("p/", "prev+tok/=", 1);
  EXPECT_TRUE(page.truncated);
  EXPECT_EQ(page.next_continuation_token, "next/tok=");
  ASSERT_EQ(page.objects.size(), 1u);
  EXPECT_EQ(page.objects[0].etag, "e1");
  auto seen = SeenRequests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].uri,
            "/files?list-type=2&continuation-token=prev%2Btok%2F%3D&encoding-type=url&max-keys=1&"
            "prefix=p%2F");
}

TEST_F(S3WireTest, SlowDownAndServerErrorsAreRetryable) {
  Answer({503,
          {},
          "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
          "<RequestId>R1</RequestId></Error>"});
  sdk::Error slow = Thrown([&] { MakeClient().PutObject("k", "x", Sha256Digest("x"), "a/b"); });
  EXPECT_EQ(slow.kind(), STOREFLOW_ERROR_RETRYABLE) << slow.what();
  EXPECT_EQ(slow.code(), "s3_SlowDown");
  EXPECT_NE(std::string(slow.what()).find("[request R1]"), std::string::npos) << slow.what();

  Answer({500, {}, "<Error><Code>InternalError</Code><Message>oops</Message></Error>"});
  EXPECT_EQ(Thrown([&] { MakeClient().GetObject("k"); }).kind(), STOREFLOW_ERROR_RETRYABLE);
  Answer({502, {}, "<html>bad gateway</html>"});
  EXPECT_EQ(Thrown([&] { MakeClient().ListObjectsV2("", "", 10); }).kind(),
            STOREFLOW_ERROR_RETRYABLE);
  Answer({503, {}, ""});
  sdk::Error head = Thrown([&] { MakeClient().HeadObject("k"); });
  EXPECT_EQ(head.kind(), STOREFLOW_ERROR_RETRYABLE);
  EXPECT_EQ(head.code(), "s3_ServiceUnavailable");
}

TEST_F(S3WireTest, AccessDeniedIsPermanentAndSaysWhatToGrant) {
  Answer({403, {}, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"});
  sdk::Error e = Thrown([&] { MakeClient().GetObject("inv/1.pdf"); });
  EXPECT_EQ(e.kind(), STOREFLOW_ERROR_PERMANENT);
  EXPECT_EQ(e.code(), "s3_AccessDenied");
  EXPECT_NE(std::string(e.what()).find("s3:GetObject on arn:aws:s3:::files/*"), std::string::npos)
      << e.what();
  EXPECT_EQ(std::string(e.what()).find(kSecret), std::string::npos);
}

TEST_F(S3WireTest, NoSuchKeyIsNulloptButNoSuchBucketIsAnError) {
  Answer({404, {}, "<Error><Code>NoSuchKey</Code><Message>none</Message></Error>"});
  EXPECT_FALSE(MakeClient().GetObject("k").has_value());
  Answer({404, {}, "<Error><Code>NoSuchBucket</Code><Message>none</Message></Error>"});
  EXPECT_EQ(Thrown([&] { MakeClient().GetObject("k"); }).code(), "s3_NoSuchBucket");
}

TEST_F(S3WireTest, GetChecksOnlyAFullObjectChecksum) {
  Answer({200,
          {{"x-amz-checksum-sha256", Sha256Digest("other").base64},
           {"x-amz-checksum-type", "FULL_OBJECT"}},
          "abc"});
  sdk::Error e = Thrown([&] { MakeClient().GetObject("k"); });
  EXPECT_EQ(e.kind(), STOREFLOW_ERROR_RETRYABLE) << e.what();
  EXPECT_EQ(e.code(), "storage_checksum");

  Answer({200, {{"x-amz-checksum-sha256", Sha256Digest("abc").base64}}, "abc"});
  auto good = MakeClient().GetObject("k");
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(good->head.checksum_sha256, Sha256Digest("abc").base64);

  Answer({200, {{"x-amz-checksum-sha256", "AAAA-3"}, {"x-amz-checksum-type", "COMPOSITE"}}, "abc"});
  auto composite = MakeClient().GetObject("k");
  ASSERT_TRUE(composite.has_value());
  EXPECT_EQ(composite->bytes, "abc");
  EXPECT_TRUE(composite->head.checksum_sha256.empty());
}

TEST_F(S3WireTest, PutRefusesAChecksumThatDiffersFromTheOneSent) {
  Answer({200, {{"ETag", "\"e\""}, {"x-amz-checksum-sha256", Sha256Digest("other").base64}}, ""});
  sdk::Error e = Thrown([&] { MakeClient().PutObject("k", "x", Sha256Digest("x"), "a/b"); });
  EXPECT_EQ(e.code(), "storage_checksum") << e.what();
  EXPECT_EQ(e.kind(), STOREFLOW_ERROR_RETRYABLE);
}

TEST_F(S3WireTest, LargerThanTheLimitIsTooLarge) {
  Answer({200, {}, std::string(2000, 'z')});
  sdk::Error e = Thrown([&] { MakeClient({}, 1000).GetObject("k"); });
  EXPECT_EQ(e.code(), "too_large") << e.what();
  EXPECT_EQ(e.kind(), STOREFLOW_ERROR_PERMANENT);
}

TEST_F(S3WireTest, ABadListAnswerIsRetryable) {
  Answer({200, {}, "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>"});
  sdk::Error e = Thrown([&] { MakeClient().ListObjectsV2("", "", 10); });
  EXPECT_EQ(e.code(), "s3_bad_response") << e.what();
  EXPECT_EQ(e.kind(), STOREFLOW_ERROR_RETRYABLE);
}

}  // namespace
}  // namespace storeflow::plugins::storage::s3
