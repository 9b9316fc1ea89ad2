// The storage plugin's contract, run the same way on every backend: the local
// folder and the s3 backend on both S3 emulators (through the built plugin and
// its C entry point). What a workflow sees must not depend on the backend:
// outputs, content types, not_found, deleted flags, refused keys, listing pages.
// The S3 cases skip with a message when the emulator's environment is unset.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base64.h"
#include "s3_emulator.h"
#include "s3_request.h"
#include "storage_host.h"

namespace storeflow::plugins::storage {
namespace {

namespace fs = std::filesystem;
using storage::testing::Json;
using storage::testing::LoadStorage;
using storage::testing::Reply;
using storage::testing::StorageHost;

std::string HexSha256(const std::string& bytes) {
  return s3::Sha256Digest(bytes).hex;
}

class StorageContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    Json config;
    std::map<std::string, std::string> secrets;
    if (GetParam() == "local") {
      std::string pattern = (fs::temp_directory_path() / "storeflow-contract.XXXXXX").string();
      ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
      dir_ = pattern;
      config = Json{{"root", (dir_ / "root").string()}, {"fsync", false}};
    } else {
      std::string why;
      auto emulator = s3::peers::FindEmulator(GetParam(), &why);
      if (!emulator) GTEST_SKIP() << "S3 emulator " << GetParam() << " not available: " << why;
      const std::string bucket = s3::peers::NewBucketName("c" + GetParam().substr(0, 4));
      ASSERT_NO_THROW(s3::peers::EmulatorClient(*emulator, bucket).CreateBucket());
      secrets = {{"S3_TEST_KEY_ID", emulator->access_key_id},
                 {"S3_TEST_SECRET", emulator->secret_access_key}};
      config = s3::peers::EmulatorPluginConfig(*emulator, bucket);
    }
    instance_ = LoadStorage(config, secrets);
    ASSERT_TRUE(instance_->loaded()) << instance_->error();
  }
  void TearDown() override {
    instance_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  Reply Call(const std::string& action, const Json& input) {
    Reply reply = instance_->Invoke(action, input);
    storage::testing::ExpectOneReply(*instance_, reply, action);
    return reply;
  }
  bool IsS3() const { return GetParam() != "local"; }

  fs::path dir_;
  std::unique_ptr<StorageHost> instance_;
};

TEST_P(StorageContractTest, TextRoundTrip) {
  Reply put = Call("storage.put", {{"key", "invoices/1001.txt"}, {"text", "Invoice 1001\n"}});
  ASSERT_TRUE(put.ok) << put;
  EXPECT_EQ(put.output["key"], "invoices/1001.txt");
  EXPECT_EQ(put.output["size"], 13);
  EXPECT_EQ(put.output["sha256"], HexSha256("Invoice 1001\n"));
  EXPECT_EQ(put.output["content_type"], "text/plain; charset=utf-8");
  if (IsS3()) {
    EXPECT_EQ(put.output["checksum_sha256"], s3::Sha256Digest("Invoice 1001\n").base64);
    EXPECT_TRUE(put.output["etag"].is_string()) << put.output.dump();
  }

  Reply get = Call("storage.get", {{"key", "invoices/1001.txt"}});
  ASSERT_TRUE(get.ok) << get;
  EXPECT_EQ(get.output["text"], "Invoice 1001\n");
  EXPECT_EQ(get.output["encoding"], "text");
  EXPECT_EQ(get.output["size"], 13);
  EXPECT_EQ(get.output["sha256"], HexSha256("Invoice 1001\n"));
  EXPECT_EQ(get.output["content_type"], "text/plain; charset=utf-8");
  if (IsS3()) EXPECT_EQ(get.output["etag"], put.output["etag"]);

  Reply b64 = Call("storage.get", {{"key", "invoices/1001.txt"}, {"encoding", "base64"}});
  ASSERT_TRUE(b64.ok) << b64;
  EXPECT_EQ(b64.output["content_base64"], Base64Encode("Invoice 1001\n"));
  EXPECT_GE(instance_->Counter("objects_written"), 1);
}

TEST_P(StorageContractTest, BinaryRoundTripKeepsContentType) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  bytes += std::string("\0\0\xff", 3);
  Reply put = Call("storage.put", {{"key", "bin/blob.dat"},
                                   {"content_base64", Base64Encode(bytes)},
                                   {"content_type", "application/x-test"}});
  ASSERT_TRUE(put.ok) << put;
  EXPECT_EQ(put.output["size"], bytes.size());
  Reply get = Call("storage.get", {{"key", "bin/blob.dat"}});
  ASSERT_TRUE(get.ok) << get;
  EXPECT_EQ(get.output["encoding"], "base64");
  EXPECT_EQ(*Base64Decode(get.output["content_base64"].get<std::string>()), bytes);
  EXPECT_EQ(get.output["content_type"], "application/x-test");
  EXPECT_EQ(get.output["sha256"], HexSha256(bytes));
  EXPECT_EQ(Call("storage.get", {{"key", "bin/blob.dat"}, {"encoding", "text"}}).code, "not_text");
}

TEST_P(StorageContractTest, ContentTypeGuessedFromTheKey) {
  EXPECT_EQ(Call("storage.put", {{"key", "r/report.pdf"}, {"content_base64", "JVBERg=="}})
                .output["content_type"],
            "application/pdf");
  EXPECT_EQ(Call("storage.put", {{"key", "r/report.csv"}, {"text", "a,b"}}).output["content_type"],
            "text/csv; charset=utf-8");
  EXPECT_EQ(Call("storage.get", {{"key", "r/report.csv"}}).output["content_type"],
            "text/csv; charset=utf-8");
  EXPECT_EQ(
      Call("storage.put", {{"key", "r/blob"}, {"content_base64", "AA=="}}).output["content_type"],
      "application/octet-stream");
}

TEST_P(StorageContractTest, OverwriteReplacesContentAndType) {
  ASSERT_TRUE(Call("storage.put", {{"key", "k"}, {"text", "one"}}).ok);
  ASSERT_TRUE(
      Call("storage.put", {{"key", "k"}, {"text", "two!"}, {"content_type", "text/csv"}}).ok);
  Reply get = Call("storage.get", {{"key", "k"}});
  EXPECT_EQ(get.output["text"], "two!");
  EXPECT_EQ(get.output["content_type"], "text/csv");
}

TEST_P(StorageContractTest, MissingKeyIsPermanentNotFound) {
  Reply get = Call("storage.get", {{"key", "nope/none.txt"}});
  EXPECT_TRUE(get.permanent()) << get;
  EXPECT_EQ(get.code, "not_found");
  EXPECT_NE(get.message.find("nope/none.txt"), std::string::npos);
}

TEST_P(StorageContractTest, DeleteReportsWhetherSomethingWasDeleted) {
  ASSERT_TRUE(Call("storage.put", {{"key", "a/b/c.txt"}, {"text", "x"}}).ok);
  Reply first = Call("storage.delete", {{"key", "a/b/c.txt"}});
  ASSERT_TRUE(first.ok) << first;
  EXPECT_EQ(first.output["deleted"], true);
  Reply second = Call("storage.delete", {{"key", "a/b/c.txt"}});
  ASSERT_TRUE(second.ok) << second;
  EXPECT_EQ(second.output["deleted"], false);
  EXPECT_EQ(Call("storage.get", {{"key", "a/b/c.txt"}}).code, "not_found");
  EXPECT_GE(instance_->Counter("objects_deleted"), 1);
}

TEST_P(StorageContractTest, RefusesKeysNamingThem) {
  for (const std::string& key :
       std::vector<std::string>{"../outside.txt", "a/../../outside.txt", "/etc/passwd", "a\\b",
                                std::string("a\0b", 3), ".storeflow-meta/k.json", "a//b"}) {
    for (const char* action : {"storage.put", "storage.get", "storage.delete"}) {
      Json input = {{"key", key}};
      if (std::string(action) == "storage.put") input["text"] = "x";
      Reply reply = Call(action, input);
      EXPECT_TRUE(reply.permanent()) << action << " " << reply;
      EXPECT_EQ(reply.code, "invalid_key") << action;
    }
  }
  Reply dotdot = Call("storage.put", {{"key", "../outside.txt"}, {"text", "x"}});
  EXPECT_NE(dotdot.message.find("\"../outside.txt\""), std::string::npos) << dotdot.message;
  EXPECT_EQ(Call("storage.list", {{"prefix", "../"}}).code, "invalid_key");
}

TEST_P(StorageContractTest, ListsByPrefixInByteOrderThroughAllPages) {
  for (const char* key :
       {"invoices/2026/b.pdf", "invoices/2026/a.pdf", "invoices/2025/z.pdf", "invoices-old.txt",
        "reports/r.csv", "top.txt", "invoices/2024/q.pdf", "invoices/2024/p.pdf"}) {
    ASSERT_TRUE(Call("storage.put", {{"key", key}, {"text", key}}).ok) << key;
  }
  auto keys = [](const Reply& r) {
    std::vector<std::string> out;
    for (const Json& k : r.output["keys"]) out.push_back(k["key"]);
    return out;
  };
  // s3rver 3.7.1 lists in its folder-walk order ("invoices/..." before
  // "invoices-old.txt"); S3, fauxqs and the local backend use byte order.
  auto in_order = [&](std::vector<std::string> listed) {
    if (GetParam() == "s3rver") std::sort(listed.begin(), listed.end());
    return listed;
  };
  Reply all = Call("storage.list", Json::object());
  ASSERT_TRUE(all.ok) << all;
  EXPECT_EQ(
      in_order(keys(all)),
      (std::vector<std::string>{"invoices-old.txt", "invoices/2024/p.pdf", "invoices/2024/q.pdf",
                                "invoices/2025/z.pdf", "invoices/2026/a.pdf", "invoices/2026/b.pdf",
                                "reports/r.csv", "top.txt"}));
  EXPECT_EQ(all.output["truncated"], false);
  EXPECT_FALSE(all.output.contains("continuation"));
  for (const Json& entry : all.output["keys"]) {
    if (entry["key"] == "top.txt") EXPECT_EQ(entry["size"], 7);
  }
  EXPECT_EQ(keys(Call("storage.list", {{"prefix", "invoices"}})).size(), 6u);
  EXPECT_TRUE(keys(Call("storage.list", {{"prefix", "nothing/"}})).empty());

  // limit 2 over 5 keys: 3 pages, each continuation passed back as it came.
  std::vector<std::string> paged;
  Json input = {{"prefix", "invoices/"}, {"limit", 2}};
  int pages = 0;
  while (true) {
    Reply page = Call("storage.list", input);
    ASSERT_TRUE(page.ok) << page << (GetParam() == "s3rver" ? s3::peers::kS3rverPagingHint : "");
    ++pages;
    for (const std::string& k : keys(page)) paged.push_back(k);
    if (page.output["truncated"] == false) {
      EXPECT_FALSE(page.output.contains("continuation"));
      break;
    }
    ASSERT_TRUE(page.output["continuation"].is_string()) << page.output.dump();
    input["continuation"] = page.output["continuation"];
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(paged, (std::vector<std::string>{"invoices/2024/p.pdf", "invoices/2024/q.pdf",
                                             "invoices/2025/z.pdf", "invoices/2026/a.pdf",
                                             "invoices/2026/b.pdf"}));
}

TEST_P(StorageContractTest, BadInputIsPermanent) {
  EXPECT_EQ(Call("storage.put", {{"key", "k"}}).code, "invalid_input");
  EXPECT_EQ(Call("storage.put", {{"key", "k"}, {"text", "a"}, {"content_base64", "YQ=="}}).code,
            "invalid_input");
  EXPECT_EQ(Call("storage.put", {{"key", "k"}, {"content_base64", "***"}}).code, "invalid_base64");
  EXPECT_EQ(
      Call("storage.put", {{"key", "k"}, {"text", "a"}, {"content_type", "text/plain\r\nX: y"}})
          .code,
      "invalid_content_type");
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageContractTest,
                         ::testing::Values("local", "fauxqs", "s3rver"),
                         [](const auto& info) { return info.param; });

TEST(StorageS3Config, BadS3ConfigFailsInitNamingTheKey) {
  auto instance = LoadStorage(Json{{"backend", "s3"}});
  EXPECT_FALSE(instance->loaded());
  Reply init = instance->init_error();
  EXPECT_TRUE(init.permanent());
  EXPECT_EQ(init.code, "invalid_config");
  EXPECT_NE(init.message.find("bucket"), std::string::npos) << init.message;

  auto local = LoadStorage(Json{{"bucket", "files"}});
  EXPECT_FALSE(local->loaded());
  Reply local_with_bucket = local->init_error();
  EXPECT_EQ(local_with_bucket.code, "invalid_config");
  EXPECT_NE(local_with_bucket.message.find("`backend: s3`"), std::string::npos);
}

TEST(StorageS3Config, MissingCredentialSecretIsAPermanentErrorNamingIt) {
  Json config = {
      {"backend", "s3"},
      {"bucket", "files"},
      {"region", "us-east-1"},
      {"endpoint", "http://127.0.0.1:" + std::to_string(s3::peers::UnusedLoopbackPort())},
      {"credentials",
       {{"access_key_id_secret", "MY_KEY"}, {"secret_access_key_secret", "MY_SECRET"}}}};
  auto instance = LoadStorage(config);  // no secrets set
  // No call at init: validate must work offline.
  ASSERT_TRUE(instance->loaded()) << instance->error();
  Reply get = instance->Invoke("storage.get", {{"key", "k"}});
  EXPECT_TRUE(get.permanent()) << get;
  EXPECT_EQ(get.code, "s3_credentials");
  EXPECT_NE(get.message.find("MY_KEY"), std::string::npos) << get.message;

  // With the secrets (read per call), the next failure is the network's.
  auto with_secrets = LoadStorage(
      config,
      {{"MY_KEY", "AKIDEXAMPLE"}, {"MY_SECRET", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}});
  ASSERT_TRUE(with_secrets->loaded()) << with_secrets->error();
  Reply down = with_secrets->Invoke("storage.get", {{"key", "k"}});
  EXPECT_TRUE(down.retryable) << down;
  EXPECT_EQ(down.code, "s3_network");
  EXPECT_EQ(down.message.find("wJalrXUtnFEMI"), std::string::npos) << down.message;
  for (const auto* host : {instance.get(), with_secrets.get()}) {
    for (const std::string& line : host->logs()) {
      EXPECT_EQ(line.find("wJalrXUtnFEMI"), std::string::npos) << line;
      EXPECT_EQ(line.find("***"), std::string::npos) << "a masked secret: " << line;
    }
  }
}

}  // namespace
}  // namespace storeflow::plugins::storage
