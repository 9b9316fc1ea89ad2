// The s3 backend against the real S3 emulators (fauxqs's S3 and s3rver), one
// bucket per test, path-style on loopback. Skipped with a message when the
// emulator's environment is unset (tools/test.sh sets both).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "s3_backend.h"
#include "s3_emulator.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::storage::s3 {
namespace {

std::string AllBytes() {
  std::string bytes;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  }
  bytes += std::string("\0\r\n\xff\xfe", 5);
  return bytes;
}

// The error a call throws; code "none" when it returns.
template <typename F>
sdk::Error Thrown(F&& f) {
  try {
    f();
  } catch (const sdk::Error& e) {
    return e;
  }
  return sdk::Error::Permanent("none", "no error was thrown");
}

class S3EmulatorTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string why;
    auto emulator = peers::FindEmulator(GetParam(), &why);
    if (!emulator) GTEST_SKIP() << "S3 emulator " << GetParam() << " not available: " << why;
    emulator_ = *emulator;
    bucket_ = peers::NewBucketName(GetParam().substr(0, 4));
    Client admin = peers::EmulatorClient(emulator_, bucket_);
    ASSERT_NO_THROW(admin.CreateBucket()) << bucket_;
    backend_ = std::make_unique<S3Backend>(peers::EmulatorClient(emulator_, bucket_));
  }

  peers::Emulator emulator_;
  std::string bucket_;
  std::unique_ptr<S3Backend> backend_;
};

TEST_P(S3EmulatorTest, BinaryRoundTripWithHeadAndDelete) {
  const std::string bytes = AllBytes();
  const std::string key = "bin/f\xC3\xA9 l+e~(1).dat";
  ObjectInfo put = backend_->Put(key, bytes, "application/x-test");
  EXPECT_EQ(put.size, bytes.size());
  EXPECT_EQ(put.sha256, Sha256Digest(bytes).hex);
  EXPECT_EQ(put.checksum_sha256, Sha256Digest(bytes).base64);
  EXPECT_FALSE(put.etag.empty());
  EXPECT_EQ(put.etag.find('"'), std::string::npos) << put.etag;

  auto head = backend_->Head(key);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->size, bytes.size());
  EXPECT_EQ(head->content_type, "application/x-test");
  EXPECT_EQ(head->etag, put.etag);

  auto got = backend_->Get(key);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->bytes, bytes);
  EXPECT_EQ(got->info.size, bytes.size());
  EXPECT_EQ(got->info.sha256, put.sha256);
  EXPECT_EQ(got->info.content_type, "application/x-test");
  EXPECT_EQ(got->info.etag, put.etag);

  EXPECT_TRUE(backend_->Delete(key));
  EXPECT_FALSE(backend_->Head(key).has_value());
  EXPECT_FALSE(backend_->Get(key).has_value());
  EXPECT_FALSE(backend_->Delete(key));
}

TEST_P(S3EmulatorTest, OverwriteReplacesContentAndType) {
  backend_->Put("k.txt", "one", "text/plain; charset=utf-8");
  backend_->Put("k.txt", "two!", "text/csv");
  auto got = backend_->Get("k.txt");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->bytes, "two!");
  EXPECT_EQ(got->info.content_type, "text/csv");
}

TEST_P(S3EmulatorTest, EmptyObject) {
  backend_->Put("empty", "", "application/octet-stream");
  auto got = backend_->Get("empty");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->bytes, "");
  EXPECT_EQ(got->info.size, 0u);
}

TEST_P(S3EmulatorTest, ListsMoreThanTwoPagesWithContinuationTokens) {
  std::set<std::string> expected;
  for (int i = 0; i < 7; ++i) {
    const std::string key = "pages/k" + std::to_string(i) + ".txt";
    backend_->Put(key, std::string(static_cast<std::size_t>(i), 'x'), "text/plain");
    expected.insert(key);
  }
  backend_->Put("other/x.txt", "x", "text/plain");
  std::vector<std::string> seen;
  std::string continuation;
  int pages = 0;
  do {
    ListPage page;
    try {
      page = backend_->List("pages/", continuation, 2);
    } catch (const sdk::Error& e) {
      FAIL() << e.what() << (GetParam() == "s3rver" ? peers::kS3rverPagingHint : "");
    }
    ++pages;
    ASSERT_LE(page.entries.size(), 2u);
    for (const ListEntry& e : page.entries) {
      seen.push_back(e.key);
      EXPECT_EQ(e.size, static_cast<std::uint64_t>(e.key[7] - '0')) << e.key;
      EXPECT_FALSE(e.etag.empty()) << e.key;
    }
    continuation = page.continuation.value_or("");
    ASSERT_LT(pages, 10) << "the listing does not end";
  } while (!continuation.empty());
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(seen, std::vector<std::string>(expected.begin(), expected.end()));  // byte order
  EXPECT_EQ(backend_->List("nothing/", "", 10).entries.size(), 0u);
  EXPECT_FALSE(backend_->List("nothing/", "", 10).continuation.has_value());
}

TEST_P(S3EmulatorTest, MissingKeyIsNulloptNotAnError) {
  EXPECT_FALSE(backend_->Get("no/such/key.txt").has_value());
  EXPECT_FALSE(backend_->Head("no/such/key.txt").has_value());
  EXPECT_FALSE(backend_->Delete("no/such/key.txt"));
}

TEST_P(S3EmulatorTest, RefusedKeysNeverReachTheServer) {
  for (const std::string& key :
       std::vector<std::string>{"../x", "a/../b", "/etc/passwd", "a//b", "a\\b", ".storeflow-x/y",
                                std::string("a\0b", 3), ""}) {
    sdk::Error e = Thrown([&] { backend_->Put(key, "x", "text/plain"); });
    EXPECT_EQ(e.code(), "invalid_key") << key;
    EXPECT_EQ(e.kind(), STOREFLOW_ERROR_PERMANENT);
    EXPECT_EQ(Thrown([&] { backend_->Get(key); }).code(), "invalid_key") << key;
    EXPECT_EQ(Thrown([&] { backend_->Delete(key); }).code(), "invalid_key") << key;
  }
  EXPECT_EQ(Thrown([&] { backend_->List("../", "", 10); }).code(), "invalid_key");
  EXPECT_TRUE(backend_->List("", "", 10).entries.empty());
}

TEST_P(S3EmulatorTest, MissingBucketIsPermanentAndNamesIt) {
  const std::string missing = peers::NewBucketName("missing");
  S3Backend other(peers::EmulatorClient(emulator_, missing));
  sdk::Error put = Thrown([&] { other.Put("k", "x", "text/plain"); });
  EXPECT_EQ(put.kind(), STOREFLOW_ERROR_PERMANENT) << put.what();
  EXPECT_EQ(put.code(), "s3_NoSuchBucket") << put.what();
  EXPECT_NE(std::string(put.what()).find(missing), std::string::npos) << put.what();
  sdk::Error get = Thrown([&] { other.Get("k"); });
  EXPECT_EQ(get.code(), "s3_NoSuchBucket") << get.what();
  sdk::Error list = Thrown([&] { other.List("", "", 10); });
  EXPECT_EQ(list.code(), "s3_NoSuchBucket") << list.what();
}

TEST_P(S3EmulatorTest, EncryptionHeadersAreAcceptedOnPut) {
  // Neither emulator echoes x-amz-server-side-encryption; that the request
  // carries it is checked in s3_request_test.cpp. Here: the server takes it.
  ClientOptions options = peers::EmulatorOptions(emulator_, bucket_);
  options.encryption = Encryption{"AES256", ""};
  Credentials c{emulator_.access_key_id, emulator_.secret_access_key, ""};
  S3Backend encrypted(Client(options, [c] { return c; }));
  ObjectInfo put = encrypted.Put("sse/a.txt", "secret", "text/plain");
  EXPECT_EQ(put.size, 6u);
  auto got = encrypted.Get("sse/a.txt");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->bytes, "secret");
}

TEST_P(S3EmulatorTest, TooLargeObjectIsRefusedOnGet) {
  backend_->Put("big.bin", std::string(5000, 'b'), "application/octet-stream");
  ClientOptions options = peers::EmulatorOptions(emulator_, bucket_);
  options.max_object_bytes = 4096;
  Credentials c{emulator_.access_key_id, emulator_.secret_access_key, ""};
  S3Backend small(Client(options, [c] { return c; }));
  sdk::Error e = Thrown([&] { small.Get("big.bin"); });
  EXPECT_EQ(e.code(), "too_large") << e.what();
  EXPECT_EQ(e.kind(), STOREFLOW_ERROR_PERMANENT);
}

TEST_P(S3EmulatorTest, NobodyListeningIsRetryable) {
  peers::Emulator down = emulator_;
  down.endpoint = "http://127.0.0.1:" + std::to_string(peers::UnusedLoopbackPort());
  S3Backend nowhere(peers::EmulatorClient(down, bucket_));
  sdk::Error e = Thrown([&] { nowhere.Put("k", "x", "text/plain"); });
  EXPECT_EQ(e.kind(), STOREFLOW_ERROR_RETRYABLE) << e.what();
  EXPECT_EQ(e.code(), "s3_network") << e.what();
  EXPECT_NE(std::string(e.what()).find(down.endpoint), std::string::npos) << e.what();
}

TEST_P(S3EmulatorTest, UnknownAccessKeyIsPermanent) {
  if (GetParam() != "s3rver") GTEST_SKIP() << "only s3rver checks the access key id";
  Credentials wrong{"AKIDNOTAKEY", "not-the-secret", ""};
  S3Backend denied(Client(peers::EmulatorOptions(emulator_, bucket_), [wrong] { return wrong; }));
  sdk::Error e = Thrown([&] { denied.Put("k", "x", "text/plain"); });
  EXPECT_EQ(e.kind(), STOREFLOW_ERROR_PERMANENT) << e.what();
  EXPECT_EQ(e.code(), "s3_InvalidAccessKeyId") << e.what();
  EXPECT_EQ(std::string(e.what()).find("not-the-secret"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("credentials"), std::string::npos) << e.what();
}

INSTANTIATE_TEST_SUITE_P(Emulators, S3EmulatorTest, ::testing::Values("fauxqs", "s3rver"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace storeflow::plugins::storage::s3
