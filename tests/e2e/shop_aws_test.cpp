// The shop flow on AWS (issue 15): the shipped workflows/shop-*.yaml, unchanged, served
// by a real `storeflow serve` whose email plugin sends through SES (`transport: ses`,
// the aws-ses-v2-local peer) and whose storage plugin writes to S3 (`backend: s3`,
// fauxqs's S3 or s3rver), on SQLite and on PostgreSQL. `POST /orders`, then: the run
// completes, the invoice is an object in the test's own bucket, and the confirmation
// is in SES's store. Credentials come from a secrets file (the config names the
// secrets), as an operator would set them. The peers' endpoints come from the
// environment tools/test.sh exports (SES_ENDPOINT, SES_STORE_URL, FAUXQS_S3_ENDPOINT,
// S3_ENDPOINT, ...; loopback only); without them the cases skip with a message.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <Poco/URI.h>
#include <nlohmann/json.hpp>

#include "http_client.h"
#include "serve_process.h"
#include "shell_command.h"
#include "store_fixture.h"

namespace storeflow::e2e {

using test_support::Http;
using test_support::HttpReply;
using test_support::ReadFile;
using test_support::ServeProcess;
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kToken[] = "e2e-admin-token-0123456789abcdef0123";  // 32+ bytes

std::string Env(const char* name, const std::string& fallback = "") {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// A peer's HTTP endpoint on 127.0.0.1 (the only address test_support::Http talks to).
struct Endpoint {
  std::string url;  // as configured, e.g. http://127.0.0.1:4566
  std::uint16_t port = 0;
};

// The endpoint in variable `name`, or "" in `why` when it is unset or not loopback.
std::optional<Endpoint> LoopbackEndpoint(const char* name, std::string* why) {
  const std::string url = Env(name);
  if (url.empty()) {
    *why = std::string(name) +
           " is not set: run tools/test.sh (it starts the AWS emulators), or `set -a; . "
           "/tmp/sf-peers/<peer>.env; set +a` (tools/peers/peers.sh)";
    return std::nullopt;
  }
  Poco::URI uri(url);
  if (uri.getScheme() != "http" || uri.getHost() != "127.0.0.1" || uri.getPort() == 0) {
    *why = std::string(name) + "=" + url + " is not http://127.0.0.1:PORT; the tests only talk " +
           "to loopback";
    return std::nullopt;
  }
  return Endpoint{url, uri.getPort()};
}

// An S3 emulator: its endpoint's variable and those of its region and key pair.
struct S3Emulator {
  const char* name;
  const char* endpoint;
  const char* region;
  const char* access_key_id;
  const char* secret_access_key;
};

constexpr S3Emulator kFauxqs{"fauxqs", "FAUXQS_S3_ENDPOINT", "FAUXQS_REGION",
                             "FAUXQS_ACCESS_KEY_ID", "FAUXQS_SECRET_ACCESS_KEY"};
constexpr S3Emulator kS3rver{"s3rver", "S3_ENDPOINT", "S3_REGION", "S3_ACCESS_KEY_ID",
                             "S3_SECRET_ACCESS_KEY"};

// A name no other case (or earlier run) uses: "<tag>-<pid>-<n>-<random>".
std::string UniqueName(const std::string& tag) {
  static std::atomic<int> counter{0};
  return tag + "-" + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1)) + "-" +
         std::to_string(std::random_device()() % 100000);
}

class ShopAwsTest : public store::testing::StoreTest {
 protected:
  void SetUp() override {
    std::string why;
    auto ses = LoopbackEndpoint("SES_ENDPOINT", &why);
    if (!ses) GTEST_SKIP() << why;
    auto store = LoopbackEndpoint("SES_STORE_URL", &why);
    if (!store) GTEST_SKIP() << why;
    ses_ = *ses;
    ses_store_ = *store;
    StoreTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    store_.reset();  // SQLite allows one process per file: the server's
    work_ = fs::temp_directory_path() / UniqueName("storeflow-e2e-shop-aws");
    fs::create_directories(work_);
    const auto import = test_support::RunShell(
        std::string("cd ") + STOREFLOW_SOURCE_DIR + " && " + STOREFLOW_BINARY +
        " records import products workflows/data/catalogue.json --key id --db '" + url_ + "'");
    ASSERT_EQ(import.exit_code, 0) << import.out << import.err;
  }

  void TearDown() override {
    if (server_.port() != 0) {
      EXPECT_EQ(server_.Stop(SIGTERM), 0) << server_.log();
    }
    // The emulators are shared: leave them as found (best effort; kept on failure).
    if (!HasFailure() && s3_.port != 0 && !bucket_.empty()) {
      for (const auto& key : written_keys_) S3("DELETE", "/" + bucket_ + "/" + key);
      S3("DELETE", "/" + bucket_);
    }
    std::error_code ignored;
    if (!HasFailure() && !work_.empty()) fs::remove_all(work_, ignored);
    StoreTest::TearDown();
  }

  // Makes a bucket on `emulator` and starts `serve` with the shipped workflows, email on
  // SES and storage on that bucket; skips when the emulator is not configured.
  void ServeOnAws(const S3Emulator& emulator) {
    std::string why;
    auto s3 = LoopbackEndpoint(emulator.endpoint, &why);
    if (!s3) GTEST_SKIP() << emulator.name << ": " << why;
    s3_ = *s3;
    bucket_ = UniqueName(std::string("sf-shop-") + emulator.name);
    HttpReply created = S3("PUT", "/" + bucket_);
    ASSERT_EQ(created.status, 200) << "CreateBucket " << bucket_ << ": " << created.body;

    // Credentials as an operator keeps them: in a private secrets file, named by the
    // config (never in the config itself).
    const fs::path secrets = work_ / "secrets.yaml";
    std::ofstream(secrets) << "SES_KEY_ID: " << json(Env("SES_ACCESS_KEY_ID", "test")).dump()
                           << "\nSES_SECRET_KEY: "
                           << json(Env("SES_SECRET_ACCESS_KEY", "test")).dump()
                           << "\nS3_KEY_ID: " << json(Env(emulator.access_key_id, "test")).dump()
                           << "\nS3_SECRET_KEY: "
                           << json(Env(emulator.secret_access_key, "test")).dump() << "\n";
    fs::permissions(secrets, fs::perms::owner_read | fs::perms::owner_write);

    const fs::path config = work_ / "storeflow.yaml";
    std::ofstream(config) << "plugins:\n"
                             "  config:\n"
                             "    email:\n"
                             "      transport: ses\n"
                             "      from: \"Demo Shop <shop@example.com>\"\n"
                             "      templates_dir: config/email-templates\n"
                             "      ses:\n"
                             "        region: "
                          << Env("SES_REGION", "us-east-1") << "\n"
                          << "        endpoint: " << ses_.url << "\n"
                          << "        credentials:\n"
                             "          access_key_id_secret: SES_KEY_ID\n"
                             "          secret_access_key_secret: SES_SECRET_KEY\n"
                             "    storage:\n"
                             "      backend: s3\n"
                             "      bucket: "
                          << bucket_ << "\n"
                          << "      region: " << Env(emulator.region, "us-east-1") << "\n"
                          << "      endpoint: " << s3_.url << "\n"
                          << "      credentials:\n"
                             "        access_key_id_secret: S3_KEY_ID\n"
                             "        secret_access_key_secret: S3_SECRET_KEY\n"
                             "secrets:\n"
                             "  file: "
                          << json(secrets.string()).dump() << "\n"
                          << "admin:\n"
                             "  token: "
                          << kToken << "\n";
    // It holds the admin token: storeflow refuses a secret in a file others may read.
    fs::permissions(config, fs::perms::owner_read | fs::perms::owner_write);
    ASSERT_TRUE(server_.Start({"--db", url_, "--workflows", "workflows", "--listen", "127.0.0.1:0",
                               "--config", config.string(), "--workers", "2"},
                              work_ / "serve.log"))
        << server_.log();
  }

  // One unsigned request to the S3 emulator (both accept them; the plugin's own
  // requests are signed).
  HttpReply S3(const std::string& method, const std::string& target) {
    return Http(s3_.port, method, target, "", {}, 10);
  }

  HttpReply Post(const std::string& target, const json& body) {
    return Http(server_.port(), "POST", target, body.dump());
  }
  HttpReply Admin(const std::string& target) {
    return Http(server_.port(), "GET", target, "",
                {{"Authorization", std::string("Bearer ") + kToken}});
  }

  // Polls the run until it has finished (or 60 s pass: the confirmation has retries
  // with backoff); its detail with the steps.
  json WaitForRun(const std::string& run_id) {
    json last;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      HttpReply r = Admin("/api/v1/runs/" + run_id);
      if (r.status == 200) {
        last = r.json();
        const std::string status = last.value("status", "");
        if (status == "completed" || status == "failed" || status == "cancelled") return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "run " << run_id << " did not finish in 60 s; last: " << last.dump() << "\n"
                  << server_.log();
    return last;
  }

  // The step of `run` at `path` (null when it has none).
  static json Step(const json& run, const std::string& path) {
    for (const auto& step : run.value("steps", json::array())) {
      if (step.value("path", "") == path) return step;
    }
    return nullptr;
  }

  // The messages SES's store holds for `address` (in To).
  json SesEmailsTo(const std::string& address) {
    json found = json::array();
    HttpReply r =
        Http(ses_store_.port, "GET", Poco::URI(ses_store_.url).getPathAndQuery(), "", {}, 10);
    if (r.status != 200) {
      ADD_FAILURE() << "GET " << ses_store_.url << ": " << r.status << " " << r.body;
      return found;
    }
    for (const auto& email : r.json().value("emails", json::array())) {
      for (const auto& to : email.value("destination", json::object()).value("to", json::array())) {
        if (to.is_string() && to.get<std::string>().find(address) != std::string::npos) {
          found.push_back(email);
        }
      }
    }
    return found;
  }

  // The order flow of shop_api_test, checked in the bucket and in SES's store.
  void OrderIsInvoicedInTheBucketAndConfirmedThroughSes() {
    const std::string user = UniqueName("u-aws");
    const std::string email = user + "@example.com";  // finds this case's message
    ASSERT_EQ(Post("/cart", {{"userId", user}, {"productId", "p-1001"}, {"quantity", 2}}).status,
              200)
        << server_.log();
    ASSERT_EQ(Post("/cart", {{"userId", user}, {"productId", "p-3001"}, {"quantity", 1}}).status,
              200);

    HttpReply order = Post("/orders", {{"userId", user}, {"email", email}});
    ASSERT_EQ(order.status, 202) << order.body << server_.log();
    const std::string order_id = order.json()["orderId"];
    ASSERT_EQ(order_id.rfind("ord-", 0), 0u) << order.body;  // "ord-<run id>"

    const json run = WaitForRun(order_id.substr(4));
    ASSERT_EQ(run.value("status", ""), "completed") << run.dump() << "\n" << server_.log();

    json record = Admin("/api/v1/records/orders/" + order_id).json();
    EXPECT_EQ(record["value"]["status"], "PROCESSED") << record.dump();
    EXPECT_EQ(record["value"]["total_cents"], 19898) << record.dump();
    EXPECT_TRUE(record["value"]["email_error"].is_null())
        << "the confirmation failed: " << record.dump() << "\n"
        << server_.log();

    // The invoice, through the storage plugin's s3 backend: an object in the bucket.
    const std::string key = "invoices/" + order_id + ".txt";
    written_keys_.push_back(key);
    const json put = Step(run, "invoice");
    ASSERT_TRUE(put.is_object()) << run.dump();
    EXPECT_EQ(put["output"]["key"], key) << put.dump();
    EXPECT_TRUE(put["output"].contains("etag")) << "not written by the s3 backend: " << put.dump();
    HttpReply object = S3("GET", "/" + bucket_ + "/" + key);
    ASSERT_EQ(object.status, 200) << key << ": " << object.body << "\n" << server_.log();
    EXPECT_NE(object.body.find("INVOICE " + order_id), std::string::npos) << object.body;
    EXPECT_NE(object.body.find("Total: 198.98 USD"), std::string::npos) << object.body;
    EXPECT_EQ(object.body.size(), put["output"]["size"].get<std::size_t>());
    EXPECT_EQ(object.header("Content-Type"), "text/plain; charset=utf-8");

    // The confirmation, through the email plugin's ses transport: in SES's store.
    const json confirm = Step(run, "confirm");
    ASSERT_TRUE(confirm.is_object()) << run.dump();
    EXPECT_EQ(confirm["status"], "completed") << confirm.dump();
    EXPECT_EQ(confirm["output"]["transport"], "ses") << confirm.dump();
    const json stored = SesEmailsTo(email);
    ASSERT_EQ(stored.size(), 1u) << stored.dump() << "\n" << server_.log();
    const json& got = stored[0];
    EXPECT_EQ(got["messageId"], confirm["output"]["message_id"]) << got.dump();
    EXPECT_EQ(got["from"], "Demo Shop <shop@example.com>") << got.dump();
    EXPECT_EQ(got["destination"]["to"], json::array({email})) << got.dump();
    EXPECT_EQ(got["subject"], "Your order " + order_id + " at storeflow demo shop") << got.dump();
    const std::string text = got["body"].value("text", "");
    EXPECT_NE(text.find("thank you for your order " + order_id), std::string::npos) << text;
    EXPECT_NE(text.find("Total: 198.98 USD"), std::string::npos) << text;
    EXPECT_NE(got["body"].value("html", "").find(order_id), std::string::npos) << got.dump();
  }

  fs::path work_;
  ServeProcess server_;
  Endpoint ses_;
  Endpoint ses_store_;
  Endpoint s3_;
  std::string bucket_;
  std::vector<std::string> written_keys_;
};

TEST_P(ShopAwsTest, AnOrderIsInvoicedToFauxqsS3AndConfirmedThroughSes) {
  ServeOnAws(kFauxqs);
  if (HasFatalFailure() || IsSkipped()) return;
  OrderIsInvoicedInTheBucketAndConfirmedThroughSes();
}

TEST_P(ShopAwsTest, AnOrderIsInvoicedToS3rverAndConfirmedThroughSes) {
  ServeOnAws(kS3rver);
  if (HasFatalFailure() || IsSkipped()) return;
  OrderIsInvoicedInTheBucketAndConfirmedThroughSes();
}

STOREFLOW_INSTANTIATE_STORE_TESTS(ShopAwsTest);

}  // namespace
}  // namespace storeflow::e2e
