// `storeflow serve` as a user runs it: the real binary, a signed webhook sent
// with Poco::Net::HTTPClientSession, SIGTERM, exit 0.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <fstream>
#include <regex>

#include "child_process.h"
#include "http_fixture.h"

namespace storeflow::http::testing {
namespace {

using test_support::ReadFile;

constexpr char kMetricsToken[] = "serve-metrics-token-0123456789abcdef";

TEST(ServeBinaryTest, ServesSignedWebhooksAndStopsCleanlyOnSigterm) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("storeflow-serve-http-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "workflows");
  std::ofstream(dir / "workflows" / "carts.yaml") << R"(workflow: carts
on:
  - webhook: shopify/carts/create
steps:
  - id: save
    uses: store.put
    with: { collection: carts, key: "${{ event.token }}", value: "${{ event }}" }
)";
  const std::string db = "sqlite:" + (dir / "store.db").string();
  const std::string log = (dir / "stderr.log").string();

  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (chdir(STOREFLOW_SOURCE_DIR) != 0) _exit(99);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(fd, 2) < 0) _exit(97);
    setenv("SHOPIFY_WEBHOOK_SECRET", "bin-secret,bin-old", 1);
    setenv("STOREFLOW_METRICS_TOKEN", kMetricsToken, 1);
    execl(STOREFLOW_BINARY, STOREFLOW_BINARY, "serve", "--db", db.c_str(), "--workflows",
          (dir / "workflows").c_str(), "--workers", "2", "--listen", "127.0.0.1:0",
          static_cast<char*>(nullptr));
    _exit(98);
  }
  auto stop = [&](int signal) {
    kill(pid, signal);
    int status = 0;
    for (int i = 0; i < 300; ++i) {
      if (waitpid(pid, &status, WNOHANG) == pid) return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
  };

  std::uint16_t port = 0;
  const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
  for (int i = 0; i < 300 && port == 0; ++i) {
    std::smatch m;
    const std::string text = ReadFile(log);
    if (std::regex_search(text, m, listening)) port = static_cast<std::uint16_t>(std::stoi(m[1]));
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (port == 0) {
    stop(SIGKILL);
    FAIL() << "serve did not report its port:\n" << ReadFile(log);
  }

  const std::string body = R"({"token": "bin-cart"})";
  Reply ok = Send(port, "POST", "/webhooks/shopify", body,
                  {{"X-Shopify-Topic", "carts/create"},
                   {"X-Shopify-Webhook-Id", "bin-1"},
                   {"X-Shopify-Hmac-Sha256", ShopifySignature(body, "bin-old").value()}});
  Reply bad = Send(port, "POST", "/webhooks/shopify", body,
                   {{"X-Shopify-Topic", "carts/create"},
                    {"X-Shopify-Webhook-Id", "bin-2"},
                    {"X-Shopify-Hmac-Sha256", ShopifySignature(body, "guess").value()}});
  Reply health = Send(port, "GET", "/healthz");
  Reply metrics_open = Send(port, "GET", "/metrics");
  Reply metrics = Send(port, "GET", "/metrics", "",
                       {{"Authorization", std::string("Bearer ") + kMetricsToken}});
  const int status = stop(SIGTERM);

  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(bad.status, 401) << bad.body;
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(metrics_open.status, 401) << "metrics.token set, yet /metrics was open";
  EXPECT_EQ(metrics.status, 200) << metrics.body;
  ASSERT_NE(status, -1) << "serve did not stop within 15 s of SIGTERM";
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << ReadFile(log);
  const std::string text = ReadFile(log);
  EXPECT_NE(text.find("POST /webhooks/shopify 200 "), std::string::npos) << text;
  EXPECT_NE(text.find("POST /webhooks/shopify 401 "), std::string::npos) << text;
  EXPECT_EQ(text.find("bin-secret"), std::string::npos) << "a secret reached the log";
  EXPECT_EQ(text.find(kMetricsToken), std::string::npos) << "a token reached the log";

  auto store = store::Store::Open(db, store::OpenOptions());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto tx = (*store)->Begin();
  ASSERT_TRUE(tx.ok());
  store::EventFilter filter;
  auto events = (*tx)->ListEvents(filter);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].dedup_key, "webhook:bin-1");
  tx->reset();
  store->reset();
  std::filesystem::remove_all(dir);
}

// admin.listen: the admin API on a listener of its own; the public one answers
// /api/v1 with 404 (issue 11, item 9).
TEST(ServeBinaryTest, AdminListenServesTheAdminApiApartFromThePublicListener) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("storeflow-serve-admin-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "workflows");
  std::ofstream(dir / "workflows" / "noop.yaml") << R"(workflow: noop
on: [{event: noop}]
steps:
  - id: say
    uses: log
    with: { message: hi }
)";
  const std::string db = "sqlite:" + (dir / "store.db").string();
  const std::string log = (dir / "stderr.log").string();
  const std::string token = "admin-listen-token-0123456789abcdef0123";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (chdir(STOREFLOW_SOURCE_DIR) != 0) _exit(99);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || dup2(fd, 2) < 0) _exit(97);
    setenv("STOREFLOW_ADMIN_TOKEN", token.c_str(), 1);
    setenv("STOREFLOW_ADMIN_LISTEN", "127.0.0.1:0", 1);
    execl(STOREFLOW_BINARY, STOREFLOW_BINARY, "serve", "--db", db.c_str(), "--workflows",
          (dir / "workflows").c_str(), "--workers", "1", "--listen", "127.0.0.1:0",
          static_cast<char*>(nullptr));
    _exit(98);
  }
  std::uint16_t port = 0;
  std::uint16_t admin_port = 0;
  const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
  const std::regex admin("admin API on http://127\\.0\\.0\\.1:([0-9]+)");
  for (int i = 0; i < 600 && port == 0; ++i) {
    std::smatch m;
    const std::string text = ReadFile(log);
    if (std::regex_search(text, m, listening)) port = static_cast<std::uint16_t>(std::stoi(m[1]));
    if (std::regex_search(text, m, admin)) {
      admin_port = static_cast<std::uint16_t>(std::stoi(m[1]));
    }
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string bearer = "Bearer " + token;
  Reply on_public =
      port == 0 ? Reply{} : Send(port, "GET", "/api/v1/runs", "", {{"Authorization", bearer}});
  Reply on_admin = admin_port == 0
                       ? Reply{}
                       : Send(admin_port, "GET", "/api/v1/runs", "", {{"Authorization", bearer}});
  Reply no_token = admin_port == 0 ? Reply{} : Send(admin_port, "GET", "/api/v1/runs");
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_NE(port, 0) << ReadFile(log);
  ASSERT_NE(admin_port, 0) << "no admin listener reported:\n" << ReadFile(log);
  EXPECT_NE(admin_port, port);
  EXPECT_EQ(on_public.status, 404) << "the admin API is still on the public listener";
  EXPECT_EQ(on_admin.status, 200) << on_admin.body;
  EXPECT_EQ(no_token.status, 401) << "the admin listener still needs the token";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << ReadFile(log);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace storeflow::http::testing
