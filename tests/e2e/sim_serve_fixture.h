#pragma once

// What the end-to-end tests of the Shopify flows share: the Shopify simulator
// (tools/shopify-sim with the fixture shops of tests/fixtures/shopify/sim) and a real
// `storeflow serve` on the test's database (SQLite or PostgreSQL, from StoreTest), in a
// fresh work folder (workflows/, storeflow.yaml, the logs) that is removed when the
// test passed and kept, with the server's log printed, when it failed.
//
// A test's SetUp calls SimServeTest::SetUp (folder and, unless Simulator::kNone, the
// simulator), copies or writes
// its workflows, writes its config (WriteConfig), starts the server (StartServer) and
// subscribes it to the simulator's webhooks (Subscribe).

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http_client.h"
#include "serve_process.h"
#include "sim_process.h"
#include "store_fixture.h"

namespace storeflow::e2e {

class SimServeTest : public store::testing::StoreTest {
 protected:
  // The admin API token every test's config sets (32+ bytes).
  static constexpr char kAdminApiToken[] = "e2e-admin-token-0123456789abcdef0123";

  enum class Simulator { kStart, kNone };

  explicit SimServeTest(std::string name, std::chrono::seconds budget = std::chrono::seconds(240),
                        Simulator simulator = Simulator::kStart)
      : name_(std::move(name)), budget_(budget), simulator_(simulator) {}

  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    store_.reset();  // SQLite allows one process per file: the server's
    started_ = std::chrono::steady_clock::now();
    work_ = std::filesystem::temp_directory_path() /
            ("storeflow-e2e-" + name_ + "-" + std::to_string(getpid()) + "-" +
             std::to_string(std::random_device()()));
    std::filesystem::create_directories(work_ / "workflows");
    if (simulator_ == Simulator::kNone) return;
    ASSERT_TRUE(sim_.Start({"--port", "0", "--fixtures",
                            std::string(STOREFLOW_SOURCE_DIR) + "/tests/fixtures/shopify/sim"},
                           work_ / "sim.log"))
        << sim_.log();
  }

  void TearDown() override {
    if (server_.pid() > 0) EXPECT_EQ(server_.Stop(SIGTERM), 0) << server_.log();
    if (HasFailure()) {
      std::fprintf(stderr, "serve log (%s):\n%s\n", work_.c_str(),
                   server_.log().substr(0, 30000).c_str());
    }
    sim_.Stop();
    for (const std::string& name : secrets_) unsetenv(name.c_str());
    std::error_code ignored;
    if (!HasFailure() && !work_.empty()) std::filesystem::remove_all(work_, ignored);
    StoreTest::TearDown();
  }

  // Copies workflows/<file> of the repository into the work folder.
  void CopyWorkflow(const std::string& file) {
    std::filesystem::copy_file(std::filesystem::path(STOREFLOW_SOURCE_DIR) / "workflows" / file,
                               work_ / "workflows" / file);
  }
  // Copies workflows/schemas/ (the JSON Schemas the sync workflows validate with).
  void CopySchemas() {
    std::filesystem::copy(std::filesystem::path(STOREFLOW_SOURCE_DIR) / "workflows" / "schemas",
                          work_ / "workflows" / "schemas",
                          std::filesystem::copy_options::recursive);
  }

  // Writes storeflow.yaml (owner-only, as the engine wants a file holding secrets).
  void WriteConfig(const std::string& yaml) {
    std::ofstream(work_ / "storeflow.yaml") << yaml;
    std::filesystem::permissions(work_ / "storeflow.yaml", std::filesystem::perms::owner_read |
                                                               std::filesystem::perms::owner_write);
  }

  // Sets STOREFLOW_SECRET_<name> for the server (unset again in TearDown).
  void SetSecret(const std::string& name, const std::string& value) {
    secrets_.push_back("STOREFLOW_SECRET_" + name);
    setenv(secrets_.back().c_str(), value.c_str(), 1);
  }

  // The simulator's Admin API base of `shop`, for the shopify plugin's `endpoint`.
  std::string ShopEndpoint(const std::string& shop) const {
    return "http://127.0.0.1:" + std::to_string(sim_.port()) + "/shops/" + shop;
  }

  // Starts `storeflow serve` on the test's database with the work folder's workflows
  // and config on `listen`, plus `extra` arguments; each start logs to serve-N.log.
  // The webhook subscriptions name the first port: a restarted server is given it again.
  void StartServer(const std::vector<std::string>& extra, const std::string& listen = "") {
    std::vector<std::string> args{"--db",        url_,
                                  "--workflows", (work_ / "workflows").string(),
                                  "--listen",    listen.empty() ? "127.0.0.1:0" : listen,
                                  "--config",    (work_ / "storeflow.yaml").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_TRUE(server_.Start(args, work_ / ("serve-" + std::to_string(++starts_) + ".log")))
        << server_.log();
  }

  // Subscribes the server to `topics` of `shop` on the simulator (Admin REST webhooks).
  void Subscribe(const std::string& shop, const std::string& access_token,
                 std::initializer_list<const char*> topics,
                 const std::string& api_version = "2024-10") {
    for (const char* topic : topics) {
      const nlohmann::json body = {
          {"webhook",
           {{"topic", topic},
            {"address", "http://127.0.0.1:" + std::to_string(server_.port()) + "/webhooks/shopify"},
            {"format", "json"}}}};
      auto r = test_support::Http(
          sim_.port(), "POST", "/shops/" + shop + "/admin/api/" + api_version + "/webhooks.json",
          body.dump(),
          {{"X-Shopify-Access-Token", access_token}, {"Content-Type", "application/json"}});
      ASSERT_EQ(r.status, 201) << topic << ": " << r.body;
    }
  }

  // The simulator's control API (/_sim/...).
  test_support::HttpReply Control(const std::string& method, const std::string& path,
                                  const nlohmann::json& body = {}) {
    return test_support::Http(sim_.port(), method, "/_sim" + path,
                              body.is_null() ? "" : body.dump(),
                              {{"Content-Type", "application/json"}});
  }

  // The engine's admin API with the token; status 0 when the server does not answer
  // (down or restarting).
  test_support::HttpReply Admin(const std::string& method, const std::string& target,
                                const std::string& body = "") {
    try {
      return test_support::Http(server_.port(), method, target, body,
                                {{"Authorization", std::string("Bearer ") + kAdminApiToken}});
    } catch (const std::exception& e) {
      return test_support::HttpReply{0, e.what(), {}};
    }
  }

  // True once the test has run longer than its budget (its loops stop then; ctest's
  // timeout is the backstop).
  bool OverBudget() const { return std::chrono::steady_clock::now() - started_ > budget_; }
  long long ElapsedSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                            started_)
        .count();
  }

  std::filesystem::path work_;
  shopify_sim::testing::SimProcess sim_;
  test_support::ServeProcess server_;

 private:
  std::string name_;
  std::chrono::seconds budget_;
  Simulator simulator_;
  std::chrono::steady_clock::time_point started_;
  int starts_ = 0;
  std::vector<std::string> secrets_;
};

}  // namespace storeflow::e2e
