// The storefront (examples/storefront) in a real browser: `storeflow serve` on
// SQLite serves it from /shop/ (http.static) next to the shop API, and headless
// Chromium, steered by puppeteer-core (tests/e2e/browser/storefront.mjs), lists
// the products, filters them, records a click, follows "Recommended for you",
// fills the cart, orders with a shipping address and waits on the thank-you page
// for the order to be PROCESSED. The test then checks what the order left behind:
// the invoice (storage plugin) with the shipping address, and the confirmation
// email (outbox). A screenshot of the end is kept in the build's test-output
// folder (its path is printed).
//
// Skipped, saying why, when /usr/bin/chromium (tools/install-deps.sh --test) or
// puppeteer-core (tools/peers/peers.sh install) is missing, or with
// STOREFLOW_TEST_PEERS=off.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "outbox.h"
#include "serve_process.h"
#include "shell_command.h"

namespace storeflow::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test_support::ReadFile;
using test_support::RunShell;
using test_support::ServeProcess;

// The whole browser visit's bound; the script has its own, a little shorter.
constexpr int kVisitSeconds = 150;
constexpr int kScriptTimeoutMs = 120'000;

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

std::string Quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Why the browser test cannot run here, or "" when it can.
std::string MissingPrerequisite(const std::string& chromium) {
  if (access(chromium.c_str(), X_OK) != 0) {
    return "no Chromium at " + chromium +
           " (install Debian's chromium: tools/install-deps.sh --test; or set STOREFLOW_CHROMIUM)";
  }
  const fs::path puppeteer =
      fs::path(STOREFLOW_SOURCE_DIR) / "tools/peers/node_modules/puppeteer-core/package.json";
  if (!fs::exists(puppeteer)) {
    return "puppeteer-core is not installed in tools/peers/node_modules (run tools/peers/peers.sh "
           "install)";
  }
  if (RunShell("node --version").exit_code != 0) return "node is not on PATH";
  return "";
}

// A port free on 127.0.0.1 now (the kernel's pick, released at once).
std::uint16_t FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

class StorefrontTest : public ::testing::Test {
 protected:
  void SetUp() override {
    chromium_ = Env("STOREFLOW_CHROMIUM").empty() ? "/usr/bin/chromium" : Env("STOREFLOW_CHROMIUM");
    // The browser and its driver are test peers (tools/test.sh installs both): one
    // missing fails the test, unless STOREFLOW_TEST_PEERS=off skips it on purpose.
    if (Env("STOREFLOW_TEST_PEERS") == "off") {
      GTEST_SKIP() << "storefront browser test skipped: STOREFLOW_TEST_PEERS=off";
    }
    if (std::string why = MissingPrerequisite(chromium_); !why.empty()) {
      FAIL() << "storefront browser test cannot run: " << why
             << " (STOREFLOW_TEST_PEERS=off skips it)";
    }
    const std::string unique =
        std::to_string(getpid()) + "-" + std::to_string(std::random_device()() % 100000);
    work_ = fs::temp_directory_path() / ("storeflow-e2e-storefront-" + unique);
    fs::create_directories(work_);
    output_ = fs::path(STOREFLOW_TEST_OUTPUT_DIR) / "storefront";
    fs::create_directories(output_);
    url_ = "sqlite:" + (work_ / "shop.db").string();
  }

  void TearDown() override {
    if (server_.port() != 0) EXPECT_EQ(server_.Stop(SIGTERM), 0) << server_.log();
    std::error_code ignored;
    if (!HasFailure() && !work_.empty()) fs::remove_all(work_, ignored);
  }

  // The engine's config: outbox email, local storage, the storefront at /shop/
  // (a relative dir: the server runs in the source folder), plus `extra` lines
  // under http:.
  void WriteConfig(const std::string& extra_http = "") {
    std::ofstream(work_ / "storeflow.yaml") << "http:\n"
                                               "  static:\n"
                                               "    - { path: /shop/, dir: examples/storefront }\n"
                                            << extra_http
                                            << "plugins:\n"
                                               "  config:\n"
                                               "    email:\n"
                                               "      transport: outbox\n"
                                               "      from: shop@example.com\n"
                                               "      templates_dir: config/email-templates\n"
                                               "      outbox: { folder: "
                                            << (work_ / "outbox").string()
                                            << " }\n"
                                               "    storage:\n"
                                               "      root: "
                                            << (work_ / "storage").string() << "\n";
  }

  void StartServer() {
    const auto import = RunShell(std::string("cd ") + STOREFLOW_SOURCE_DIR + " && " +
                                 STOREFLOW_BINARY + " records import products " +
                                 "workflows/data/catalogue.json --key id --db " + Quoted(url_));
    ASSERT_EQ(import.exit_code, 0) << import.out << import.err;
    ASSERT_TRUE(server_.Start({"--db", url_, "--workflows", "workflows", "--listen", "127.0.0.1:0",
                               "--config", (work_ / "storeflow.yaml").string(), "--workers", "2"},
                              work_ / "serve.log"))
        << server_.log();
  }

  // Runs the browser visit with `args`; its JSON summary line.
  json Visit(const std::string& name, const std::string& args) {
    screenshot_ = output_ / (name + ".png");
    std::error_code ignored;
    fs::remove(screenshot_, ignored);
    const std::string command =
        std::string("cd ") + STOREFLOW_SOURCE_DIR + " && timeout -k 5 " +
        std::to_string(kVisitSeconds) + " node tests/e2e/browser/storefront.mjs " + args +
        " --screenshot " + Quoted(screenshot_.string()) + " --timeout " +
        std::to_string(kScriptTimeoutMs) + " --chromium " + Quoted(chromium_) + " 2>" +
        Quoted((work_ / (name + ".browser.log")).string());
    const auto run = RunShell(command);
    std::cout << "[ storefront ] screenshot: " << screenshot_.string() << std::endl;
    RecordProperty("screenshot", screenshot_.string());
    const std::string last_line =
        run.out.substr(run.out.find_last_of('\n', run.out.size() - 2) + 1);
    json result = json::parse(last_line.empty() ? run.out : last_line, nullptr, false);
    EXPECT_EQ(run.exit_code, 0) << run.out << "\nbrowser stderr:\n"
                                << ReadFile(work_ / (name + ".browser.log")) << "\nserver:\n"
                                << server_.log();
    if (result.is_discarded()) {
      ADD_FAILURE() << "the browser script printed no JSON summary: " << run.out;
      return json::object();
    }
    return result;
  }

  // What an order leaves behind: the invoice with its shipping address and the
  // confirmation email.
  void ExpectInvoiceAndEmail(const json& visit) {
    const std::string order_id = visit.value("orderId", "");
    ASSERT_FALSE(order_id.empty()) << visit.dump();
    EXPECT_EQ(visit["status"], "PROCESSED") << visit.dump();
    const fs::path invoice = work_ / "storage" / "invoices" / (order_id + ".txt");
    ASSERT_TRUE(fs::exists(invoice)) << server_.log();
    const std::string text = ReadFile(invoice);
    EXPECT_NE(text.find("INVOICE " + order_id), std::string::npos) << text;
    EXPECT_NE(text.find("Customer: " + visit["userId"].get<std::string>()), std::string::npos)
        << text;
    EXPECT_NE(text.find("Ship to:\n  Ada Lovelace\n  12 St James's Square\n  Flat 3\n"
                        "  SW1Y 4JH London\n  GB\n"),
              std::string::npos)
        << text;
    const std::vector<std::string> emails = test_support::OutboxEmails(work_ / "outbox");
    ASSERT_EQ(emails.size(), 1u) << server_.log();
    const std::string& email = emails.front();
    EXPECT_NE(email.find("To: <ada@example.com>"), std::string::npos) << email;
    EXPECT_NE(email.find("Your order " + order_id), std::string::npos) << email;
    EXPECT_NE(email.find("Ada Lovelace"), std::string::npos) << email;
  }

  std::string chromium_;
  fs::path work_;
  fs::path output_;
  fs::path screenshot_;
  std::string url_;
  ServeProcess server_;
};

TEST_F(StorefrontTest, AShopperVisitsOrdersAndSeesTheOrderProcessed) {
  WriteConfig();
  StartServer();
  const std::string shop = "http://127.0.0.1:" + std::to_string(server_.port()) + "/shop/";
  const json visit = Visit("same-origin", "--shop " + Quoted(shop));
  ASSERT_EQ(visit.value("ok", false), true) << visit.dump(2);
  EXPECT_EQ(visit["products"], 12) << visit.dump();
  EXPECT_EQ(visit["jackets"], 3) << visit.dump();
  EXPECT_GE(visit["recommended"].get<int>(), 1) << visit.dump();
  ExpectInvoiceAndEmail(visit);
  EXPECT_TRUE(fs::exists(screenshot_)) << screenshot_;
  EXPECT_GT(fs::file_size(screenshot_), 1000u);
}

// The same visit with the page on another origin (a static server of the script)
// calling the API cross-origin, allowed by the engine's CORS config.
TEST_F(StorefrontTest, AShopperOnAnotherOriginOrdersThroughCors) {
  // The page's origin, known before the engine starts (its CORS config names it).
  const std::uint16_t page_port = FreeLoopbackPort();
  ASSERT_NE(page_port, 0);
  const std::string origin = "http://127.0.0.1:" + std::to_string(page_port);
  // The page sends Idempotency-Key with an order (examples/storefront/README.md).
  WriteConfig("  cors_allowed_origins: [\"" + origin +
              "\"]\n  cors_allowed_headers: [Content-Type, Idempotency-Key]\n");
  StartServer();
  const std::string api = "http://127.0.0.1:" + std::to_string(server_.port());
  const json visit = Visit("cross-origin", "--serve-dir examples/storefront --serve-port " +
                                               std::to_string(page_port) + " --api " + Quoted(api));
  ASSERT_EQ(visit.value("ok", false), true) << visit.dump(2);
  ExpectInvoiceAndEmail(visit);
}

}  // namespace
}  // namespace storeflow::e2e
