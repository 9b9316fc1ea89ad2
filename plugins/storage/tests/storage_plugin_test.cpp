// The storage plugin driven through the engine's plugin host (the plugin test kit).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "backend_name.h"
#include "base64.h"
#include "sha256.h"
#include "storage_host.h"

namespace storeflow::plugins::storage {
namespace {

namespace fs = std::filesystem;
using testing::Json;
using testing::LoadStorage;
using testing::Reply;
using testing::StorageHost;

fs::path MakeTempDir() {
  std::string pattern = (fs::temp_directory_path() / "storeflow-storage-test.XXXXXX").string();
  char* made = ::mkdtemp(pattern.data());
  if (made == nullptr) throw std::runtime_error("mkdtemp failed");
  return fs::path(made);
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> TempFilesUnder(const fs::path& root) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().filename().string().starts_with(".storeflow-tmp-")) {
      found.push_back(entry.path().string());
    }
  }
  return found;
}

class StoragePluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    root_ = dir_ / "root";
    instance_ = LoadStorage(Json{{"root", root_.string()}});
    ASSERT_TRUE(instance_->loaded()) << instance_->error();
    testing::ExpectOneReply(*instance_, instance_->init_error(), "init");
  }
  void TearDown() override {
    instance_.reset();
    fs::remove_all(dir_);
  }

  Reply Call(const std::string& action, const Json& input) {
    Reply reply = instance_->Invoke(action, input);
    testing::ExpectOneReply(*instance_, reply, action);
    return reply;
  }

  fs::path dir_;
  fs::path root_;
  std::unique_ptr<StorageHost> instance_;
};

TEST(StoragePluginLibrary, ManifestDeclaresTheFourActionsWithStrictSchemas) {
  EXPECT_EQ(LoadStorage(Json::object())->name(), "storage");
  const Json& manifest = testing::StorageManifest();
  std::set<std::string> names;
  for (const Json& action : manifest["actions"]) {
    names.insert(action["name"].get<std::string>());
    EXPECT_EQ(action["input_schema"]["additionalProperties"], false) << action["name"];
  }
  EXPECT_EQ(names, (std::set<std::string>{"storage.put", "storage.get", "storage.delete",
                                          "storage.list"}));
  EXPECT_EQ(manifest["config_schema"]["additionalProperties"], false);
}

TEST_F(StoragePluginTest, TextRoundTrip) {
  Reply put = Call("storage.put", {{"key", "invoices/1001.txt"}, {"text", "Invoice 1001\n"}});
  ASSERT_TRUE(put.ok) << put;
  EXPECT_EQ(put.output["key"], "invoices/1001.txt");
  EXPECT_EQ(put.output["size"], 13);
  EXPECT_EQ(put.output["sha256"], Sha256Hex("Invoice 1001\n"));
  EXPECT_EQ(put.output["content_type"], "text/plain; charset=utf-8");
  EXPECT_EQ(ReadFile(root_ / "invoices/1001.txt"), "Invoice 1001\n");

  Reply get = Call("storage.get", {{"key", "invoices/1001.txt"}});
  ASSERT_TRUE(get.ok) << get;
  EXPECT_EQ(get.output["text"], "Invoice 1001\n");
  EXPECT_EQ(get.output["encoding"], "text");
  EXPECT_EQ(get.output["size"], 13);
  EXPECT_EQ(get.output["content_type"], "text/plain; charset=utf-8");
  EXPECT_FALSE(get.output.contains("content_base64"));

  Reply b64 = Call("storage.get", {{"key", "invoices/1001.txt"}, {"encoding", "base64"}});
  ASSERT_TRUE(b64.ok) << b64;
  EXPECT_EQ(b64.output["content_base64"], Base64Encode("Invoice 1001\n"));
  EXPECT_GE(instance_->Counter("objects_written"), 1);
}

TEST_F(StoragePluginTest, BinaryRoundTripKeepsContentType) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  bytes += std::string("\0\0\xff", 3);
  Reply put = Call("storage.put", {{"key", "bin/blob.dat"},
                                   {"content_base64", Base64Encode(bytes)},
                                   {"content_type", "application/x-test"}});
  ASSERT_TRUE(put.ok) << put;
  EXPECT_EQ(put.output["size"], bytes.size());
  EXPECT_EQ(ReadFile(root_ / "bin/blob.dat"), bytes);

  Reply get = Call("storage.get", {{"key", "bin/blob.dat"}});
  ASSERT_TRUE(get.ok) << get;
  EXPECT_EQ(get.output["encoding"], "base64");
  EXPECT_FALSE(get.output.contains("text"));
  EXPECT_EQ(*Base64Decode(get.output["content_base64"].get<std::string>()), bytes);
  EXPECT_EQ(get.output["content_type"], "application/x-test");
  EXPECT_EQ(get.output["sha256"], Sha256Hex(bytes));

  Reply as_text = Call("storage.get", {{"key", "bin/blob.dat"}, {"encoding", "text"}});
  EXPECT_TRUE(as_text.permanent());
  EXPECT_EQ(as_text.code, "not_text");
}

TEST_F(StoragePluginTest, ContentTypeGuessedFromTheKey) {
  Reply pdf = Call("storage.put", {{"key", "r/report.pdf"}, {"content_base64", "JVBERg=="}});
  ASSERT_TRUE(pdf.ok) << pdf;
  EXPECT_EQ(pdf.output["content_type"], "application/pdf");
  EXPECT_EQ(Call("storage.put", {{"key", "r/report.csv"}, {"text", "a,b"}}).output["content_type"],
            "text/csv; charset=utf-8");
  EXPECT_EQ(Call("storage.put", {{"key", "r/notes"}, {"text", "n"}}).output["content_type"],
            "text/plain; charset=utf-8");
  EXPECT_EQ(
      Call("storage.put", {{"key", "r/blob"}, {"content_base64", "AA=="}}).output["content_type"],
      "application/octet-stream");
}

TEST_F(StoragePluginTest, OverwriteReplacesContentAndType) {
  ASSERT_TRUE(Call("storage.put", {{"key", "k"}, {"text", "one"}}).ok);
  ASSERT_TRUE(
      Call("storage.put", {{"key", "k"}, {"text", "two!"}, {"content_type", "text/csv"}}).ok);
  Reply get = Call("storage.get", {{"key", "k"}});
  EXPECT_EQ(get.output["text"], "two!");
  EXPECT_EQ(get.output["content_type"], "text/csv");
}

TEST_F(StoragePluginTest, MissingKeyIsPermanentNotFound) {
  Reply get = Call("storage.get", {{"key", "nope/none.txt"}});
  EXPECT_TRUE(get.permanent()) << get;
  EXPECT_EQ(get.code, "not_found");
  EXPECT_NE(get.message.find("nope/none.txt"), std::string::npos);
}

TEST_F(StoragePluginTest, DeleteReportsWhetherSomethingWasDeleted) {
  ASSERT_TRUE(Call("storage.put", {{"key", "a/b/c.txt"}, {"text", "x"}}).ok);
  Reply first = Call("storage.delete", {{"key", "a/b/c.txt"}});
  ASSERT_TRUE(first.ok) << first;
  EXPECT_EQ(first.output["deleted"], true);
  Reply second = Call("storage.delete", {{"key", "a/b/c.txt"}});
  ASSERT_TRUE(second.ok);
  EXPECT_EQ(second.output["deleted"], false);
  EXPECT_FALSE(fs::exists(root_ / "a"));  // empty folders go too
  EXPECT_EQ(Call("storage.get", {{"key", "a/b/c.txt"}}).code, "not_found");
}

TEST_F(StoragePluginTest, RefusesKeysThatEscapeTheRootNamingThem) {
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
  EXPECT_FALSE(fs::exists(dir_ / "outside.txt"));
}

TEST_F(StoragePluginTest, RefusesSymlinkEscapes) {
  fs::create_directories(dir_ / "outside");
  std::ofstream(dir_ / "outside/secret.txt") << "secret";
  fs::create_directory_symlink(dir_ / "outside", root_ / "link");
  Reply put = Call("storage.put", {{"key", "link/new.txt"}, {"text", "x"}});
  EXPECT_EQ(put.code, "invalid_key") << put;
  EXPECT_NE(put.message.find("symbolic link"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "outside/new.txt"));
  Reply get = Call("storage.get", {{"key", "link/secret.txt"}});
  EXPECT_EQ(get.code, "invalid_key") << get;
  fs::create_symlink(dir_ / "outside/secret.txt", root_ / "file-link");
  EXPECT_EQ(Call("storage.get", {{"key", "file-link"}}).code, "invalid_key");
  // Listing does not follow links either.
  Reply list = Call("storage.list", Json::object());
  ASSERT_TRUE(list.ok) << list;
  EXPECT_TRUE(list.output["keys"].empty()) << list.output.dump();
}

TEST_F(StoragePluginTest, KeyConflictsWithFolders) {
  ASSERT_TRUE(Call("storage.put", {{"key", "a/b"}, {"text", "x"}}).ok);
  EXPECT_EQ(Call("storage.put", {{"key", "a"}, {"text", "x"}}).code, "key_conflict");
  EXPECT_EQ(Call("storage.put", {{"key", "a/b/c"}, {"text", "x"}}).code, "key_conflict");
}

TEST_F(StoragePluginTest, BadInputIsPermanent) {
  EXPECT_EQ(Call("storage.put", {{"key", "k"}}).code, "invalid_input");
  EXPECT_EQ(Call("storage.put", {{"key", "k"}, {"text", "a"}, {"content_base64", "YQ=="}}).code,
            "invalid_input");
  EXPECT_EQ(Call("storage.put", {{"key", "k"}, {"content_base64", "***"}}).code, "invalid_base64");
  EXPECT_EQ(
      Call("storage.put", {{"key", "k"}, {"text", "a"}, {"content_type", "text/plain\r\nX: y"}})
          .code,
      "invalid_content_type");
  EXPECT_EQ(Call("storage.frobnicate", Json::object()).code, "unknown_action");
}

TEST_F(StoragePluginTest, ListsByPrefixInOrderWithPages) {
  for (const char* key : {"invoices/2026/b.pdf", "invoices/2026/a.pdf", "invoices/2025/z.pdf",
                          "invoices-old.txt", "reports/r.csv", "top.txt"}) {
    ASSERT_TRUE(Call("storage.put", {{"key", key}, {"text", key}}).ok) << key;
  }
  auto keys = [](const Reply& r) {
    std::vector<std::string> out;
    for (const Json& k : r.output["keys"]) out.push_back(k["key"]);
    return out;
  };
  Reply all = Call("storage.list", Json::object());
  ASSERT_TRUE(all.ok) << all;
  EXPECT_EQ(keys(all), (std::vector<std::string>{"invoices-old.txt", "invoices/2025/z.pdf",
                                                 "invoices/2026/a.pdf", "invoices/2026/b.pdf",
                                                 "reports/r.csv", "top.txt"}));
  EXPECT_EQ(all.output["truncated"], false);
  EXPECT_EQ(all.output["keys"][5]["size"], 7);

  EXPECT_EQ(keys(Call("storage.list", {{"prefix", "invoices/"}})),
            (std::vector<std::string>{"invoices/2025/z.pdf", "invoices/2026/a.pdf",
                                      "invoices/2026/b.pdf"}));
  EXPECT_EQ(keys(Call("storage.list", {{"prefix", "invoices"}})).size(), 4u);
  EXPECT_EQ(keys(Call("storage.list", {{"prefix", "invoices/2026/a"}})),
            (std::vector<std::string>{"invoices/2026/a.pdf"}));
  EXPECT_TRUE(keys(Call("storage.list", {{"prefix", "nothing/"}})).empty());

  Reply page1 = Call("storage.list", {{"prefix", "invoices/"}, {"limit", 2}});
  EXPECT_EQ(keys(page1), (std::vector<std::string>{"invoices/2025/z.pdf", "invoices/2026/a.pdf"}));
  ASSERT_EQ(page1.output["truncated"], true);
  Reply page2 =
      Call("storage.list",
           {{"prefix", "invoices/"}, {"limit", 2}, {"continuation", page1.output["continuation"]}});
  EXPECT_EQ(keys(page2), (std::vector<std::string>{"invoices/2026/b.pdf"}));
  EXPECT_EQ(page2.output["truncated"], false);
  EXPECT_FALSE(page2.output.contains("continuation"));

  EXPECT_EQ(Call("storage.list", {{"prefix", "../"}}).code, "invalid_key");
}

TEST_F(StoragePluginTest, WritesAreAtomicAndLeaveNoTemporaryFiles) {
  const std::string a(256 * 1024, 'a');
  const std::string b(256 * 1024, 'b');
  ASSERT_TRUE(Call("storage.put", {{"key", "hot/file.bin"}, {"text", a}}).ok);
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!stop) {
      std::string seen = ReadFile(root_ / "hot/file.bin");
      if (seen != a && seen != b) ++torn;
      ++reads;
    }
  });
  std::thread plugin_reader([&] {
    while (!stop) {
      Reply r = instance_->Invoke("storage.get", {{"key", "hot/file.bin"}});
      if (!r.ok || (r.output["text"] != a && r.output["text"] != b)) ++torn;
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 15; ++i) {
        Reply r = instance_->Invoke("storage.put",
                                    {{"key", "hot/file.bin"}, {"text", (i + w) % 2 ? a : b}});
        if (!r.ok) ++torn;
      }
    });
  }
  for (auto& t : writers) t.join();
  stop = true;
  reader.join();
  plugin_reader.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_TRUE(TempFilesUnder(root_).empty());
  Reply list = Call("storage.list", Json::object());
  ASSERT_EQ(list.output["keys"].size(), 1u) << list.output.dump();
}

TEST_F(StoragePluginTest, FailedWriteLeavesNoPartialFile) {
  ASSERT_TRUE(Call("storage.put", {{"key", "big/keep.txt"}, {"text", "old"}}).ok);
  // Make the write fail half-way: a file size limit (EFBIG) works even as root.
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 4096;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  Reply put = Call("storage.put", {{"key", "big/keep.txt"}, {"text", std::string(100000, 'n')}});
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_TRUE(put.retryable) << put;
  EXPECT_EQ(put.code, "storage_io");
  EXPECT_EQ(ReadFile(root_ / "big/keep.txt"), "old");
  EXPECT_TRUE(TempFilesUnder(root_).empty());
}

TEST(StoragePluginConfig, UnknownBackendFailsInit) {
  // The engine refuses it first (config_schema), naming the key ...
  auto host = LoadStorage(Json{{"backend", "ftp"}});
  EXPECT_FALSE(host->loaded());
  EXPECT_NE(host->error().find("invalid configuration of plugin 'storage'"), std::string::npos)
      << host->error();
  EXPECT_NE(host->error().find("backend"), std::string::npos) << host->error();
  // ... and init's own check (BackendName) says which backends there are.
  Reply init;
  try {
    BackendName(Json{{"backend", "ftp"}});
  } catch (const sdk::Error& e) {
    init.retryable = e.kind() == STOREFLOW_ERROR_RETRYABLE;
    init.code = e.code();
    init.message = e.what();
  }
  EXPECT_TRUE(init.permanent());
  EXPECT_EQ(init.code, "invalid_config");
  EXPECT_NE(init.message.find("valid: local, s3"), std::string::npos) << init.message;
  EXPECT_EQ(BackendName(Json::object()), "local");
  EXPECT_EQ(BackendName(Json{{"backend", "s3"}}), "s3");
}

}  // namespace
}  // namespace storeflow::plugins::storage
