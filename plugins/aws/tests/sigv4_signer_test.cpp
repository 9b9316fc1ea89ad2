// The signer on what the official vectors do not cover: the headers it adds, S3's
// payload modes, the injected clock, and input it must refuse without ever showing
// the secret key or the session token.

#include "sigv4_signer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sha256.h"

namespace storeflow::plugins::aws {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr const char* kSecret = "SeCrEtMaRkEr/9f8e7d6c5b4a3928+170";
constexpr const char* kToken = "ToKeNmArKeR/abcdef0123456789==";

// 2015-08-30T12:36:00Z
const system_clock::time_point kTime = system_clock::from_time_t(1440938160);

SigV4Signer::Clock At(system_clock::time_point time) {
  return [time] { return time; };
}

HttpRequest Get(std::string host = "example.amazonaws.com") {
  HttpRequest request;
  request.headers.push_back({"Host", std::move(host)});
  return request;
}

std::string HeaderValue(const std::vector<HttpHeader>& headers, const std::string& name) {
  for (const HttpHeader& header : headers) {
    if (header.name == name) return header.value;
  }
  return "<absent>";
}

TEST(DeriveSigningKey, MatchesTheAwsGeneralReferenceExample) {
  // "Derive a signing key for Signature Version 4", AWS General Reference.
  EXPECT_EQ(HexEncode(DeriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215",
                                       "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(AmzDate, IsUtcBasicFormatWithoutFractions) {
  EXPECT_EQ(AmzDate(system_clock::from_time_t(0)), "19700101T000000Z");
  EXPECT_EQ(AmzDate(kTime + std::chrono::milliseconds(999)), "20150830T123600Z");
}

TEST(SigV4Signer, TheInjectedClockGivesTheSigningTime) {
  const Credentials credentials{"AKIDEXAMPLE", kSecret, ""};
  const SigV4Signer first(SigningOptions::ForService("sqs", "eu-west-1"), At(kTime));
  const SigV4Signer later(SigningOptions::ForService("sqs", "eu-west-1"),
                          At(kTime + std::chrono::hours(36)));
  Result<HeaderSignature> a = first.SignHeaders(Get(), credentials);
  Result<HeaderSignature> b = later.SignHeaders(Get(), credentials);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(HeaderValue(a->headers, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(HeaderValue(b->headers, "X-Amz-Date"), "20150901T003600Z");
  EXPECT_NE(b->authorization.find("Credential=AKIDEXAMPLE/20150901/eu-west-1/sqs/aws4_request"),
            std::string::npos);
  EXPECT_NE(a->trace.signature, b->trace.signature);
  // The system clock by default: a signature for now.
  Result<HeaderSignature> now =
      SigV4Signer(SigningOptions::ForService("sqs", "eu-west-1")).SignHeaders(Get(), credentials);
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(HeaderValue(now->headers, "X-Amz-Date").substr(0, 2), "20");
}

TEST(SigV4Signer, AddsTokenDateAndAuthorizationInOrder) {
  const SigV4Signer signer(SigningOptions::ForService("sqs", "us-east-1"), At(kTime));
  HttpRequest request = Get("sqs.us-east-1.amazonaws.com");
  request.method = "POST";
  request.headers.push_back({"Content-Type", "application/x-amz-json-1.0"});
  request.headers.push_back({"X-Amz-Target", "AmazonSQS.SendMessage"});
  request.body = R"({"QueueUrl":"q","MessageBody":"hi"})";
  Result<HeaderSignature> signature = signer.SignHeaders(request, {"AKID", kSecret, kToken});
  ASSERT_TRUE(signature.ok()) << signature.status().ToString();
  ASSERT_EQ(signature->headers.size(), 3u);
  EXPECT_EQ(signature->headers[0].name, "X-Amz-Security-Token");
  EXPECT_EQ(signature->headers[0].value, kToken);
  EXPECT_EQ(signature->headers[1].name, "X-Amz-Date");
  EXPECT_EQ(signature->headers[2].name, "Authorization");
  EXPECT_NE(signature->authorization.find(
                "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target,"),
            std::string::npos)
      << signature->authorization;
  // The body's hash is the last line of the canonical request; no content-sha header.
  const std::string& creq = signature->trace.canonical_request;
  EXPECT_EQ(creq.substr(creq.size() - 64), Sha256Hex(request.body));
  EXPECT_EQ(creq.find("x-amz-content-sha256"), std::string::npos);
}

TEST(SigV4Signer, S3SignsTheContentShaHeaderAndUnsignedPayload) {
  HttpRequest request = Get("bucket.s3.us-east-1.amazonaws.com");
  request.method = "PUT";
  request.path = "/invoices/2026/INV 1.pdf";
  request.body = "%PDF-1.4";
  SigningOptions options = SigningOptions::ForS3("us-east-1");
  Result<HeaderSignature> hashed =
      SigV4Signer(options, At(kTime)).SignHeaders(request, {"AKID", kSecret, ""});
  ASSERT_TRUE(hashed.ok()) << hashed.status().ToString();
  EXPECT_EQ(HeaderValue(hashed->headers, "x-amz-content-sha256"), Sha256Hex("%PDF-1.4"));
  EXPECT_EQ(hashed->trace.canonical_request.substr(0, 31), "PUT\n/invoices/2026/INV%201.pdf\n");

  options.unsigned_payload = true;
  Result<HeaderSignature> unsigned_payload =
      SigV4Signer(options, At(kTime)).SignHeaders(request, {"AKID", kSecret, ""});
  ASSERT_TRUE(unsigned_payload.ok());
  EXPECT_EQ(HeaderValue(unsigned_payload->headers, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  const std::string& creq = unsigned_payload->trace.canonical_request;
  EXPECT_EQ(creq.substr(creq.size() - 17), "\nUNSIGNED-PAYLOAD");

  // A hash the caller computed while reading a file is used as is.
  options.unsigned_payload = false;
  request.body.clear();
  request.payload_sha256 = std::string(64, 'a');
  Result<HeaderSignature> precomputed =
      SigV4Signer(options, At(kTime)).SignHeaders(request, {"AKID", kSecret, ""});
  ASSERT_TRUE(precomputed.ok());
  EXPECT_EQ(HeaderValue(precomputed->headers, "x-amz-content-sha256"), std::string(64, 'a'));
}

// The chunked-upload example of the S3 API Reference ("Signature Calculations for the
// Authorization Header: Transferring Payload in Multiple Chunks"): 66560 bytes of 'a'
// in a 65536-byte chunk, a 1024-byte chunk and the final empty chunk.
TEST(SigV4Signer, StreamedUploadMatchesTheS3ChunkedExample) {
  HttpRequest request;
  request.method = "PUT";
  request.path = "/examplebucket/chunkObject.txt";
  request.headers = {{"Host", "s3.amazonaws.com"},
                     {"x-amz-date", "20130524T000000Z"},
                     {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                     {"Content-Encoding", "aws-chunked"},
                     {"x-amz-decoded-content-length", "66560"},
                     {"Content-Length", std::to_string(AwsChunkedLength(66560, 65536))}};
  EXPECT_EQ(request.headers.back().value, "66824");  // the example's Content-Length
  const SigV4Signer signer(SigningOptions::ForS3("us-east-1"),
                           At(system_clock::from_time_t(1369353600)));  // 2013-05-24
  Result<StreamingUpload> upload = signer.SignStreaming(
      request, {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""});
  ASSERT_TRUE(upload.ok()) << upload.status().ToString();
  EXPECT_EQ(upload->seed.trace.canonical_request,
            "PUT\n/examplebucket/chunkObject.txt\n\n"
            "content-encoding:aws-chunked\ncontent-length:66824\nhost:s3.amazonaws.com\n"
            "x-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD\n"
            "x-amz-date:20130524T000000Z\nx-amz-decoded-content-length:66560\n"
            "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
            "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
            "x-amz-decoded-content-length;x-amz-storage-class\n"
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
  EXPECT_EQ(upload->seed.trace.signature,
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
  ASSERT_EQ(upload->seed.headers.size(), 2u);  // x-amz-content-sha256, Authorization
  EXPECT_EQ(upload->seed.headers[0].value, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");

  const std::string first = upload->chunks.Frame(std::string(65536, 'a'));
  const std::string second = upload->chunks.Frame(std::string(1024, 'a'));
  const std::string last = upload->chunks.Frame("");
  EXPECT_EQ(first.substr(0, 88),
            "10000;chunk-signature="
            "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n");
  EXPECT_EQ(second.substr(0, 86),
            "400;chunk-signature="
            "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n");
  EXPECT_EQ(last,
            "0;chunk-signature="
            "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n");
  EXPECT_EQ(first.size() + second.size() + last.size(), 66824u);
  EXPECT_EQ(AwsChunkedLength(0, 65536), 86u);  // the final chunk alone
}

TEST(SigV4Signer, StreamedUploadRefusesABodyOrAMissingDecodedLength) {
  const SigV4Signer signer(SigningOptions::ForS3("us-east-1"), At(kTime));
  HttpRequest request = Get("s3.amazonaws.com");
  Result<StreamingUpload> upload = signer.SignStreaming(request, {"AKID", kSecret, ""});
  ASSERT_FALSE(upload.ok());
  EXPECT_NE(upload.status().message().find("x-amz-decoded-content-length"), std::string::npos);
  request.headers.push_back({"x-amz-decoded-content-length", "3"});
  request.body = "abc";
  upload = signer.SignStreaming(request, {"AKID", kSecret, ""});
  ASSERT_FALSE(upload.ok());
  EXPECT_NE(upload.status().message().find("leave `body`"), std::string::npos);
}

TEST(SigV4Signer, PresignAppendsTheParametersAfterTheCallersQuery) {
  HttpRequest request = Get("bucket.s3.amazonaws.com");
  request.path = "/a b.txt";
  request.query = "versionId=3&response-content-type=text%2Fplain";
  SigningOptions options = SigningOptions::ForS3("us-east-1");
  options.unsigned_payload = true;
  Result<PresignedRequest> url =
      SigV4Signer(options, At(kTime)).Presign(request, {"AKID", kSecret, kToken}, seconds(60));
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->target.substr(0, 60),
            "/a b.txt?versionId=3&response-content-type=text%2Fplain&X-Am");
  EXPECT_NE(url->query.find("&X-Amz-Expires=60&X-Amz-Security-Token=ToKeNmArKeR%2Fabcdef"),
            std::string::npos)
      << url->query;
  EXPECT_EQ(url->query.substr(url->query.size() - 81), "&X-Amz-Signature=" + url->trace.signature);
  // A presigned URL never carries x-amz-content-sha256.
  EXPECT_EQ(url->trace.canonical_request.find("x-amz-content-sha256"), std::string::npos);
}

TEST(SigV4Signer, PresignRefusesAnExpiryOutsideOneSecondToSevenDays) {
  const SigV4Signer signer(SigningOptions::ForS3("us-east-1"), At(kTime));
  EXPECT_TRUE(signer.Presign(Get(), {"AKID", kSecret, ""}, kMaxPresignExpiry).ok());
  for (seconds bad : {seconds(0), seconds(-5), kMaxPresignExpiry + seconds(1)}) {
    Result<PresignedRequest> url = signer.Presign(Get(), {"AKID", kSecret, ""}, bad);
    ASSERT_FALSE(url.ok());
    EXPECT_NE(url.status().message().find("1 to 604800 seconds"), std::string::npos);
  }
}

// Every refusal: the code, a message naming the problem, and neither the secret key
// nor the session token anywhere in it.
TEST(SigV4Signer, RefusesBadInputWithClearErrorsThatNeverShowTheSecrets) {
  struct Bad {
    const char* what;
    HttpRequest request;
    SigningOptions options;
    Credentials credentials;
    const char* says;
  };
  const SigningOptions sqs = SigningOptions::ForService("sqs", "us-east-1");
  const Credentials good{"AKID", kSecret, kToken};
  auto with = [](HttpHeader header) {
    HttpRequest request = Get();
    request.headers.push_back(std::move(header));
    return request;
  };
  HttpRequest no_host;
  HttpRequest two_hosts = with({"host", "other"});
  HttpRequest bad_method = Get();
  bad_method.method = "GET /";
  HttpRequest bad_hash = Get();
  bad_hash.payload_sha256 = "ABC";
  HttpRequest bad_query = Get();
  bad_query.query = "a=%zz";
  SigningOptions bad_region = sqs;
  bad_region.region = "US East";
  SigningOptions bad_service = sqs;
  bad_service.service = "";
  SigningOptions after = sqs;
  after.session_token = SessionTokenPlacement::kAddedAfterSigning;

  const std::vector<Bad> cases = {
      {"no host", no_host, sqs, good, "no Host header"},
      {"two hosts", two_hosts, sqs, good, "exactly one non-empty Host header"},
      {"signed twice", with({"Authorization", "AWS4-HMAC-SHA256 x"}), sqs, good,
       "already has an Authorization header"},
      {"date differs", with({"X-Amz-Date", "20150830T000000Z"}), sqs, good,
       "X-Amz-Date header `20150830T000000Z` differs from the signing time 20150830T123600Z"},
      {"token differs", with({"X-Amz-Security-Token", "stale"}), sqs, good,
       "differs from the credentials' session token"},
      {"token after", with({"x-amz-security-token", kToken}), after, good,
       "added after signing; leave the header out"},
      {"header injection", with({"X-Note", std::string("a\r\nX-Evil: 1") + kSecret}), sqs, good,
       "line break not followed by a space or tab"},
      {"bad method", bad_method, sqs, good, "request method `GET /`"},
      {"bad hash", bad_hash, sqs, good, "payload_sha256 `ABC`"},
      {"bad query", bad_query, sqs, good, "query parameter 1 (`a=%zz`) value"},
      {"bad region", Get(), bad_region, good, "signing region `US East`"},
      {"bad service", Get(), bad_service, good, "signing service ``"},
      {"no key id", Get(), sqs, {"", kSecret, kToken}, "access key id is empty"},
      {"key id with space", Get(), sqs, {"AK ID", kSecret, kToken}, "only letters and digits"},
      {"no secret", Get(), sqs, {"AKID", "", kToken}, "secret access key for access key id"},
      {"secret with newline",
       Get(),
       sqs,
       {"AKID", std::string(kSecret) + "\n", kToken},
       "contains whitespace or a control character"},
      {"token with space",
       Get(),
       sqs,
       {"AKID", kSecret, std::string(kToken) + " x"},
       "session token for access key id `AKID` contains whitespace"},
  };
  for (const Bad& bad : cases) {
    const SigV4Signer signer(bad.options, At(kTime));
    for (int form = 0; form < 2; ++form) {
      const Status status =
          form == 0 ? signer.SignHeaders(bad.request, bad.credentials).status()
                    : signer.Presign(bad.request, bad.credentials, seconds(60)).status();
      if (form == 1 &&
          (std::string(bad.what) == "date differs" || std::string(bad.what) == "token differs" ||
           std::string(bad.what) == "token after")) {
        continue;  // header-form rules: a presigned request signs such headers as given
      }
      SCOPED_TRACE(std::string(bad.what) + (form == 0 ? " (header form)" : " (presigned)"));
      ASSERT_FALSE(status.ok());
      EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
      EXPECT_NE(status.message().find(bad.says), std::string::npos) << status.message();
      EXPECT_EQ(status.ToString().find("SeCrEtMaRkEr"), std::string::npos) << status.message();
      EXPECT_EQ(status.ToString().find("ToKeNmArKeR"), std::string::npos) << status.message();
    }
  }
}

TEST(SigV4Signer, PresignRefusesAQueryThatAlreadyHasSigningParameters) {
  HttpRequest request = Get();
  request.query = "a=1&x-amz-signature=abc";
  Result<PresignedRequest> url = SigV4Signer(SigningOptions::ForS3("us-east-1"), At(kTime))
                                     .Presign(request, {"AKID", kSecret, ""}, seconds(60));
  ASSERT_FALSE(url.ok());
  EXPECT_NE(url.status().message().find("already has X-Amz-Signature"), std::string::npos);
}

TEST(SigV4Signer, TheSecretIsInNoOutput) {
  HttpRequest request = Get();
  request.body = "payload";
  const SigV4Signer signer(SigningOptions::ForS3("us-east-1"), At(kTime));
  Result<HeaderSignature> signature = signer.SignHeaders(request, {"AKID", kSecret, ""});
  Result<PresignedRequest> url = signer.Presign(request, {"AKID", kSecret, ""}, seconds(60));
  ASSERT_TRUE(signature.ok() && url.ok());
  std::string everything = signature->authorization + signature->trace.canonical_request +
                           signature->trace.string_to_sign + url->query +
                           url->trace.canonical_request + url->trace.string_to_sign;
  for (const HttpHeader& header : signature->headers) everything += header.name + header.value;
  EXPECT_EQ(everything.find("SeCrEtMaRkEr"), std::string::npos);
}

}  // namespace
}  // namespace storeflow::plugins::aws
