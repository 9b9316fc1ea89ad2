// Where S3 requests go, as data: endpoints, path-style and virtual-host
// addressing, Host headers, key encoding and bucket names. No network.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "s3_address.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::storage::s3 {
namespace {

struct TargetCase {
  std::string name;
  std::string endpoint;  // "" : AWS's for eu-west-1
  Addressing addressing;
  std::string bucket;
  std::string key;
  std::string connect_host;
  int port;
  std::string host_header;
  std::string path;
};

TEST(S3Address, TargetsForBothAddressingStyles) {
  const std::vector<TargetCase> cases = {
      {"aws virtual object", "", Addressing::kVirtual, "invoices", "2026/1001.pdf",
       "invoices.s3.eu-west-1.amazonaws.com", 443, "invoices.s3.eu-west-1.amazonaws.com",
       "/2026/1001.pdf"},
      {"aws virtual bucket", "", Addressing::kVirtual, "invoices", "",
       "invoices.s3.eu-west-1.amazonaws.com", 443, "invoices.s3.eu-west-1.amazonaws.com", "/"},
      {"aws path object", "", Addressing::kPath, "my.bucket", "a/b.txt",
       "s3.eu-west-1.amazonaws.com", 443, "s3.eu-west-1.amazonaws.com", "/my.bucket/a/b.txt"},
      {"aws path bucket", "", Addressing::kPath, "my.bucket", "", "s3.eu-west-1.amazonaws.com", 443,
       "s3.eu-west-1.amazonaws.com", "/my.bucket"},
      {"emulator path with port", "http://127.0.0.1:4568", Addressing::kPath, "files", "x/y.bin",
       "127.0.0.1", 4568, "127.0.0.1:4568", "/files/x/y.bin"},
      {"override with base path and trailing slash", "https://gw.example.com/s3/",
       Addressing::kPath, "files", "k", "gw.example.com", 443, "gw.example.com", "/s3/files/k"},
      {"override virtual keeps port", "http://minio.internal:9000", Addressing::kVirtual, "files",
       "k", "files.minio.internal", 9000, "files.minio.internal:9000", "/k"},
      {"default http port omitted", "http://s3.local:80", Addressing::kPath, "files", "k",
       "s3.local", 80, "s3.local", "/files/k"},
      {"ipv6 loopback", "http://[::1]:9000", Addressing::kPath, "files", "k", "::1", 9000,
       "[::1]:9000", "/files/k"},
      {"key encoded per S3", "http://127.0.0.1:1", Addressing::kPath, "files", "a b/c+d~e_f-g.txt",
       "127.0.0.1", 1, "127.0.0.1:1", "/files/a%20b/c%2Bd~e_f-g.txt"},
      {"utf-8 and reserved bytes", "http://127.0.0.1:1", Addressing::kPath, "files",
       "f\xC3\xA9/q?x=1#y&z%;=@$", "127.0.0.1", 1, "127.0.0.1:1",
       "/files/f%C3%A9/q%3Fx%3D1%23y%26z%25%3B%3D%40%24"},
      {"virtual key encoded", "", Addressing::kVirtual, "invoices", "a b",
       "invoices.s3.eu-west-1.amazonaws.com", 443, "invoices.s3.eu-west-1.amazonaws.com", "/a%20b"},
  };
  for (const TargetCase& c : cases) {
    const Endpoint endpoint =
        c.endpoint.empty() ? AwsEndpoint("eu-west-1") : ParseEndpoint(c.endpoint);
    const Target t = MakeTarget(endpoint, c.addressing, c.bucket, c.key);
    EXPECT_EQ(t.connect_host, c.connect_host) << c.name;
    EXPECT_EQ(t.port, c.port) << c.name;
    EXPECT_EQ(t.host_header, c.host_header) << c.name;
    EXPECT_EQ(t.path, c.path) << c.name;
    EXPECT_EQ(t.scheme, endpoint.scheme) << c.name;
  }
}

TEST(S3Address, AwsEndpointIsRegional) {
  const Endpoint e = AwsEndpoint("us-east-1");
  EXPECT_EQ(e.Display(), "https://s3.us-east-1.amazonaws.com");
  EXPECT_FALSE(e.is_override);
}

TEST(S3Address, EndpointOverridesAreCheckedNamingTheValue) {
  EXPECT_TRUE(ParseEndpoint("http://127.0.0.1:4568").is_override);
  EXPECT_EQ(ParseEndpoint("http://127.0.0.1:4568/").Display(), "http://127.0.0.1:4568");
  for (const char* bad : {"ftp://x", "127.0.0.1:4568", "http://", "http://h/?a=1",
                          "http://user:pw@h", "http://h/#frag"}) {
    try {
      ParseEndpoint(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const sdk::Error& e) {
      EXPECT_EQ(e.code(), "invalid_config") << bad;
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(S3Address, AddressingDefaultsAndRefusals) {
  const Endpoint aws = AwsEndpoint("eu-west-1");
  const Endpoint local = ParseEndpoint("http://127.0.0.1:4568");
  const Endpoint named = ParseEndpoint("https://storage.example.com");
  EXPECT_EQ(ChooseAddressing(std::nullopt, aws, "invoices"), Addressing::kVirtual);
  EXPECT_EQ(ChooseAddressing(std::nullopt, aws, "my.bucket"), Addressing::kPath);
  EXPECT_EQ(ChooseAddressing(std::nullopt, local, "invoices"), Addressing::kPath);
  EXPECT_EQ(ChooseAddressing(std::nullopt, named, "invoices"), Addressing::kPath);
  EXPECT_EQ(ChooseAddressing("virtual", named, "invoices"), Addressing::kVirtual);
  EXPECT_EQ(ChooseAddressing("path", aws, "invoices"), Addressing::kPath);
  auto code_of = [](auto&& f) {
    try {
      f();
    } catch (const sdk::Error& e) {
      return e.code() + ": " + e.what();
    }
    return std::string("accepted");
  };
  EXPECT_NE(code_of([&] {
              ChooseAddressing("virtual", local, "invoices");
            }).find("invalid_config: storage `addressing: virtual` needs an endpoint with a DNS"),
            std::string::npos);
  EXPECT_NE(code_of([&] {
              ChooseAddressing("virtual", ParseEndpoint("http://localhost:9"), "b1b");
            }).find("use `addressing: path`"),
            std::string::npos);
  EXPECT_NE(code_of([&] { ChooseAddressing("virtual", aws, "my.bucket"); }).find("TLS"),
            std::string::npos);
  EXPECT_NE(code_of([&] {
              ChooseAddressing("host", aws, "invoices");
            }).find("must be path or virtual, not \"host\""),
            std::string::npos);
}

TEST(S3Address, BucketNames) {
  for (const char* good : {"abc", "invoices-2026", "my.bucket.name", "a1b"}) {
    EXPECT_FALSE(BucketNameProblem(good).has_value()) << good;
  }
  for (const char* bad :
       {"ab", "Invoices", "under_score", "-abc", "abc-", "a..b", "192.168.1.1", "a b", "ab/c"}) {
    EXPECT_TRUE(BucketNameProblem(bad).has_value()) << bad;
  }
  EXPECT_FALSE(BucketNameProblem(std::string(63, 'a')).has_value());
  EXPECT_TRUE(BucketNameProblem(std::string(64, 'a')).has_value());
  EXPECT_TRUE(IsVirtualHostable("invoices"));
  EXPECT_FALSE(IsVirtualHostable("my.bucket"));
  EXPECT_TRUE(IsIpOrLocalhost("127.0.0.1"));
  EXPECT_TRUE(IsIpOrLocalhost("::1"));
  EXPECT_TRUE(IsIpOrLocalhost("localhost"));
  EXPECT_FALSE(IsIpOrLocalhost("s3.amazonaws.com"));
}

}  // namespace
}  // namespace storeflow::plugins::storage::s3
