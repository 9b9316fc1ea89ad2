// The s3 backend's requests, answers, errors and config as data (no server):
// what a PutObject carries (content type, checksum, SSE and KMS key id), the
// ListObjectsV2 query, the XML answers, the error classes and the config keys.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "s3_config.h"
#include "s3_error.h"
#include "s3_request.h"
#include "s3_xml.h"

namespace storeflow::plugins::storage::s3 {
namespace {

using sdk::Json;

constexpr char kHelloSha256Hex[] =
    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
constexpr char kHelloSha256Base64[] = "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=";

Location TestLocation() {
  Location l;
  l.endpoint = ParseEndpoint("http://127.0.0.1:4568");
  l.addressing = Addressing::kPath;
  l.bucket = "files";
  return l;
}

std::map<std::string, std::string> Headers(const Request& r) {
  std::map<std::string, std::string> out;
  for (const Header& h : r.headers) out[h.name] = h.value;
  return out;
}

TEST(S3Request, Sha256DigestInHexAndBase64) {
  const Digest d = Sha256Digest("hello");
  EXPECT_EQ(d.hex, kHelloSha256Hex);
  EXPECT_EQ(d.base64, kHelloSha256Base64);
}

TEST(S3Request, PutCarriesContentTypeChecksumAndEncryption) {
  Encryption kms{"aws:kms", "arn:aws:kms:eu-west-1:123456789012:key/abcd"};
  const std::string body = "hello";
  const Request r = PutObjectRequest(TestLocation(), "inv/1 a.pdf", body, Sha256Digest(body),
                                     "application/pdf", kms);
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.target.path, "/files/inv/1%20a.pdf");
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.payload_sha256, kHelloSha256Hex);  // signed, not UNSIGNED-PAYLOAD
  auto h = Headers(r);
  EXPECT_EQ(h["Content-Type"], "application/pdf");
  EXPECT_EQ(h["Content-Length"], "5");
  EXPECT_EQ(h["x-amz-checksum-sha256"], kHelloSha256Base64);
  EXPECT_EQ(h["x-amz-server-side-encryption"], "aws:kms");
  EXPECT_EQ(h["x-amz-server-side-encryption-aws-kms-key-id"],
            "arn:aws:kms:eu-west-1:123456789012:key/abcd");

  const Request aes = PutObjectRequest(TestLocation(), "k", body, Sha256Digest(body), "text/plain",
                                       Encryption{"AES256", ""});
  EXPECT_EQ(Headers(aes)["x-amz-server-side-encryption"], "AES256");
  EXPECT_EQ(Headers(aes).count("x-amz-server-side-encryption-aws-kms-key-id"), 0u);

  const Request plain =
      PutObjectRequest(TestLocation(), "k", body, Sha256Digest(body), "text/plain", Encryption{});
  EXPECT_EQ(Headers(plain).count("x-amz-server-side-encryption"), 0u);
}

TEST(S3Request, ReadsListAndDeletes) {
  const Digest empty = Sha256Digest("");
  const Request get = GetObjectRequest(TestLocation(), "a/b");
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.target.path, "/files/a/b");
  EXPECT_EQ(Headers(get)["x-amz-checksum-mode"], "ENABLED");
  EXPECT_EQ(get.payload_sha256, empty.hex);
  EXPECT_EQ(HeadObjectRequest(TestLocation(), "a/b").method, "HEAD");
  EXPECT_EQ(DeleteObjectRequest(TestLocation(), "a/b").method, "DELETE");

  const Request list = ListObjectsV2Request(TestLocation(), "inv oices/", "tok+en/=", 2);
  EXPECT_EQ(list.target.path, "/files");
  EXPECT_EQ(list.query,
            "list-type=2&continuation-token=tok%2Ben%2F%3D&encoding-type=url&max-keys=2&"
            "prefix=inv%20oices%2F");
  EXPECT_EQ(ListObjectsV2Request(TestLocation(), "", "", 100).query,
            "list-type=2&encoding-type=url&max-keys=100&prefix=");

  std::string body;
  const Request create = CreateBucketRequest(TestLocation(), "eu-west-1", body);
  EXPECT_NE(body.find("<LocationConstraint>eu-west-1</LocationConstraint>"), std::string::npos);
  EXPECT_EQ(create.body, body);
  CreateBucketRequest(TestLocation(), "us-east-1", body);
  EXPECT_TRUE(body.empty());
}

TEST(S3Xml, ErrorDocuments) {
  auto e = ParseErrorDocument(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
      "<Message>The specified key does not exist.</Message><Key>a&amp;b</Key>"
      "<RequestId>4442587FB7D0A2F9</RequestId></Error>");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, "NoSuchKey");
  EXPECT_EQ(e->message, "The specified key does not exist.");
  EXPECT_EQ(e->request_id, "4442587FB7D0A2F9");
  EXPECT_FALSE(ParseErrorDocument("").has_value());
  EXPECT_FALSE(ParseErrorDocument("<html>bad gateway</html>").has_value());
  EXPECT_FALSE(ParseErrorDocument("<Error><Code>").has_value());
  EXPECT_FALSE(ParseErrorDocument("{\"__type\":\"x\"}").has_value());
}

TEST(S3Xml, ListResultsWithAndWithoutUrlEncoding) {
  std::string problem;
  auto plain = ParseListResult(
      "<?xml version=\"1.0\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>files</Name><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
      "<Contents><Key>a "
      "b&amp;c</Key><Size>12</Size><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></"
      "Contents>"
      "<Contents><Key>z</Key><Size>0</Size><ETag>\"d41d8cd98f00b204e9800998ecf8427e\"</ETag></"
      "Contents>"
      "</ListBucketResult>",
      &problem);
  ASSERT_TRUE(plain.has_value()) << problem;
  EXPECT_TRUE(plain->truncated);
  EXPECT_EQ(plain->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  ASSERT_EQ(plain->objects.size(), 2u);
  EXPECT_EQ(plain->objects[0].key, "a b&c");
  EXPECT_EQ(plain->objects[0].size, 12u);
  EXPECT_EQ(plain->objects[0].etag, "9b2cf535f27731c974343645a3985328");
  EXPECT_EQ(plain->objects[1].size, 0u);

  auto encoded = ParseListResult(
      "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
      "<Contents><Key>a+b%2Fc%C3%A9%25</Key><Size>1</Size></Contents>"
      "<Contents><Key>50%zz%4</Key><Size>1</Size></Contents></ListBucketResult>",
      &problem);
  ASSERT_TRUE(encoded.has_value()) << problem;
  EXPECT_FALSE(encoded->truncated);
  EXPECT_EQ(encoded->objects.at(0).key, "a b/c\xC3\xA9%");
  EXPECT_EQ(encoded->objects.at(1).key, "50%zz%4");  // not an escape: kept

  EXPECT_FALSE(ParseListResult(
      "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", &problem));
  EXPECT_NE(problem.find("NextContinuationToken"), std::string::npos);
  EXPECT_FALSE(
      ParseListResult("<ListBucketResult><Contents><Key>k</Key><Size>x</Size></Contents>"
                      "</ListBucketResult>",
                      &problem));
  EXPECT_NE(problem.find("Size"), std::string::npos);
  EXPECT_FALSE(ParseListResult("<Error><Code>X</Code></Error>", &problem));
  EXPECT_FALSE(ParseListResult("not xml", &problem));
}

sdk::Error Failure(int status, const std::string& body,
                   const std::string& operation = "PutObject") {
  Request r;
  r.operation = operation;
  return S3Failure(r, operation == "ListObjectsV2" ? "" : "inv/1.pdf", TestLocation(),
                   Answer{status, body, "REQ1"});
}

std::string ErrorXml(const std::string& code, const std::string& message) {
  return "<Error><Code>" + code + "</Code><Message>" + message + "</Message></Error>";
}

TEST(S3Errors, ThrottlingAndServerErrorsAreRetryable) {
  for (const auto& [status, body] : std::vector<std::pair<int, std::string>>{
           {503, ErrorXml("SlowDown", "Please reduce your request rate.")},
           {500, ErrorXml("InternalError", "We encountered an internal error.")},
           {400, ErrorXml("RequestTimeout", "Your socket connection timed out.")},
           {503, ""},
           {502, "<html>Bad Gateway</html>"},
           {429, ""}}) {
    sdk::Error e = Failure(status, body);
    EXPECT_EQ(e.kind(), STOREFLOW_ERROR_RETRYABLE) << status << " " << body;
  }
  EXPECT_EQ(Failure(503, ErrorXml("SlowDown", "x")).code(), "s3_SlowDown");
  EXPECT_EQ(Failure(503, "").code(), "s3_ServiceUnavailable");
  Request r;
  r.operation = "GetObject";
  sdk::Error network = S3NetworkFailure(r, "k", TestLocation(), "Connection refused");
  EXPECT_EQ(network.kind(), STOREFLOW_ERROR_RETRYABLE);
  EXPECT_EQ(network.code(), "s3_network");
  EXPECT_NE(std::string(network.what()).find("http://127.0.0.1:4568"), std::string::npos);
}

TEST(S3Errors, AccessAndBucketErrorsArePermanentWithAClearMessage) {
  sdk::Error denied = Failure(403, ErrorXml("AccessDenied", "Access Denied"));
  EXPECT_EQ(denied.kind(), STOREFLOW_ERROR_PERMANENT);
  EXPECT_EQ(denied.code(), "s3_AccessDenied");
  const std::string text = denied.what();
  EXPECT_NE(text.find("PutObject of \"inv/1.pdf\" in bucket \"files\""), std::string::npos) << text;
  EXPECT_NE(text.find("AccessDenied (HTTP 403): Access Denied [request REQ1]"), std::string::npos)
      << text;
  EXPECT_NE(text.find("s3:PutObject on arn:aws:s3:::files/*"), std::string::npos) << text;

  sdk::Error list_denied = Failure(403, ErrorXml("AccessDenied", "Access Denied"), "ListObjectsV2");
  EXPECT_NE(std::string(list_denied.what()).find("s3:ListBucket on arn:aws:s3:::files"),
            std::string::npos);

  sdk::Error no_bucket =
      Failure(404, ErrorXml("NoSuchBucket", "The specified bucket does not exist"));
  EXPECT_EQ(no_bucket.kind(), STOREFLOW_ERROR_PERMANENT);
  EXPECT_EQ(no_bucket.code(), "s3_NoSuchBucket");
  EXPECT_NE(std::string(no_bucket.what()).find("does not exist at http://127.0.0.1:4568"),
            std::string::npos);

  sdk::Error bad_name =
      Failure(400, ErrorXml("InvalidBucketName", "The specified bucket is not valid."));
  EXPECT_EQ(bad_name.kind(), STOREFLOW_ERROR_PERMANENT);
  EXPECT_NE(std::string(bad_name.what()).find("plugins.config.storage.bucket"), std::string::npos);

  sdk::Error head_denied = Failure(403, "", "HeadObject");  // HEAD: no body
  EXPECT_EQ(head_denied.code(), "s3_AccessDenied");
  EXPECT_NE(std::string(head_denied.what()).find("s3:GetObject"), std::string::npos);

  EXPECT_EQ(Failure(403, ErrorXml("InvalidAccessKeyId", "x")).kind(), STOREFLOW_ERROR_PERMANENT);
  EXPECT_EQ(Failure(301, ErrorXml("PermanentRedirect", "x")).kind(), STOREFLOW_ERROR_PERMANENT);
  EXPECT_NE(std::string(Failure(301, ErrorXml("PermanentRedirect", "x")).what())
                .find("plugins.config.storage.region"),
            std::string::npos);
}

std::optional<std::string> NoEnv(const std::string&) {
  return std::nullopt;
}

std::string ConfigError(const Json& config, const EnvironmentLookup& env = &NoEnv) {
  try {
    ParseS3Config(config, 1000, env);
  } catch (const sdk::Error& e) {
    return e.code() + ": " + e.what();
  }
  return "accepted";
}

TEST(S3Config, DefaultsAndEnvironment) {
  BackendConfig aws = ParseS3Config(
      {{"backend", "s3"}, {"bucket", "invoices"}, {"region", "eu-west-1"}}, 1000, &NoEnv);
  EXPECT_EQ(aws.client.location.endpoint.Display(), "https://s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(aws.client.location.addressing, Addressing::kVirtual);
  EXPECT_EQ(aws.client.max_object_bytes, 1000u);
  EXPECT_EQ(aws.client.timeout, std::chrono::milliseconds(30'000));
  EXPECT_TRUE(aws.client.encryption.algorithm.empty());
  EXPECT_TRUE(aws.secrets.access_key_id.empty());

  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_DEFAULT_REGION") return "ap-south-1";
    return std::nullopt;
  };
  BackendConfig emulator = ParseS3Config({{"bucket", "files"},
                                          {"endpoint", "http://127.0.0.1:4568/"},
                                          {"server_side_encryption", "aws:kms"},
                                          {"sse_kms_key_id", "alias/storeflow"},
                                          {"timeout_ms", 5000},
                                          {"credentials",
                                           {{"access_key_id_secret", "K"},
                                            {"secret_access_key_secret", "S"},
                                            {"session_token_secret", "T"}}}},
                                         1000, env);
  EXPECT_EQ(emulator.client.region, "ap-south-1");
  EXPECT_EQ(emulator.client.location.addressing, Addressing::kPath);
  EXPECT_EQ(emulator.client.location.endpoint.Display(), "http://127.0.0.1:4568");
  EXPECT_EQ(emulator.client.encryption.algorithm, "aws:kms");
  EXPECT_EQ(emulator.client.encryption.kms_key_id, "alias/storeflow");
  EXPECT_EQ(emulator.client.timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(emulator.secrets.access_key_id, "K");
  EXPECT_EQ(emulator.secrets.secret_access_key, "S");
  EXPECT_EQ(emulator.secrets.session_token, "T");
}

TEST(S3Config, RefusalsNameTheKey) {
  const Json base = {{"bucket", "files"}, {"region", "eu-west-1"}};
  auto with = [&](const char* key, Json value) {
    Json c = base;
    c[key] = std::move(value);
    return c;
  };
  EXPECT_NE(ConfigError({{"region", "eu-west-1"}}).find("needs `bucket`"), std::string::npos);
  EXPECT_NE(ConfigError(with("bucket", "Bad_Bucket")).find("`bucket` \"Bad_Bucket\""),
            std::string::npos);
  EXPECT_NE(ConfigError({{"bucket", "files"}}).find("needs a region"), std::string::npos);
  EXPECT_NE(ConfigError(with("region", "EU West")).find("not a region name"), std::string::npos);
  EXPECT_NE(ConfigError(with("root", "var/storage")).find("`root` is a setting of the local"),
            std::string::npos);
  EXPECT_NE(ConfigError(with("server_side_encryption", "DES")).find("AES256, aws:kms"),
            std::string::npos);
  EXPECT_NE(
      ConfigError(with("sse_kms_key_id", "k1")).find("needs `server_side_encryption: aws:kms`"),
      std::string::npos);
  EXPECT_NE(ConfigError(with("timeout_ms", 1)).find("`timeout_ms`"), std::string::npos);
  EXPECT_NE(ConfigError(with("credentials", Json{{"access_key_id_secret", "K"}}))
                .find("set both access_key_id_secret and secret_access_key_secret"),
            std::string::npos);
  EXPECT_NE(ConfigError(with("addressing", "virtual")).find("accepted"), std::string::npos);
  Json emulator = with("endpoint", "http://127.0.0.1:1");
  emulator["addressing"] = "virtual";
  EXPECT_NE(ConfigError(emulator).find("invalid_config"), std::string::npos);
  EXPECT_EQ(ConfigError(with("endpoint", "ftp://x")).rfind("invalid_config", 0), 0u);
}

}  // namespace
}  // namespace storeflow::plugins::storage::s3
