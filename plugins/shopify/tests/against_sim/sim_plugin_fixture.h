#pragma once

// The shopify plugin's actions (ShopifyActions over a BucketHost, i.e. the engine's
// host services from the plugin test kit, whose rate_acquire/rate_adjust keep real,
// refilling token levels) pointed at a real storeflow-shopify-sim process on
// loopback, shop alpha of tests/fixtures/shopify/sim.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bucket_host.h"
#include "poco_transport.h"
#include "shopify_actions.h"
#include "shopify_config.h"
#include "shopify_fixture.h"  // RunAction
#include "sim_process.h"

namespace storeflow::plugins::shopify::testing {

namespace sim = storeflow::shopify_sim::testing;

inline constexpr const char* kAlpha = "alpha.myshopify.com";
inline constexpr const char* kAlphaAdminToken = "shpat_alpha_admin_token_0001";
inline constexpr const char* kAlphaStorefrontToken = "sf_alpha_storefront_token_0001";
// A secret holding a token the simulator does not know.
inline constexpr const char* kWrongAdminSecret = "ALPHA_ADMIN_WRONG";

class SimPluginTest : public ::testing::Test {
 protected:
  // Starts the simulator with extra flags (e.g. {"--orders", "2537"}).
  void StartSim(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {
        "--port", "0", "--fixtures",
        std::string(STOREFLOW_SOURCE_DIR) + "/tests/fixtures/shopify/sim"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string log = ::testing::TempDir() + "shopify_it_" + info->name() + ".log";
    ASSERT_TRUE(sim_.Start(args, log)) << sim_.log();
  }

  std::string SimUrl() const { return "http://127.0.0.1:" + std::to_string(sim_.port()); }
  std::string Endpoint(const std::string& shop = kAlpha) const {
    return SimUrl() + "/shops/" + shop;
  }

  // The plugin's actions for shop alpha (the admin token from secret
  // `admin_token_secret`).
  std::unique_ptr<ShopifyActions> MakeActions(
      BucketHost& host, sdk::Json extra_config = {},
      const std::string& admin_token_secret = "ALPHA_ADMIN") {
    sdk::Json config{{"shops",
                      {{{"domain", kAlpha},
                        {"admin_token_secret", admin_token_secret},
                        {"storefront_token_secret", "ALPHA_STOREFRONT"},
                        {"endpoint", Endpoint()}}}},
                     {"timeout_ms", 10000},
                     {"max_wait_ms", 20000}};
    if (extra_config.is_object()) {
      for (auto& [key, value] : extra_config.items()) config[key] = value;
    }
    return std::make_unique<ShopifyActions>(host.api(), ParseShopifyConfig(config),
                                            std::make_shared<PocoTransport>());
  }

  void Configure(sdk::Json extra_config = {}) { actions_ = MakeActions(host_, extra_config); }

  static sdk::Json RunOn(ShopifyActions& actions, BucketHost& host, const std::string& action,
                         const sdk::Json& input, std::optional<std::int64_t> deadline_in_ms) {
    return RunAction(actions, host, action, input, deadline_in_ms);
  }

  sdk::Json Run(const std::string& action, const sdk::Json& input,
                std::optional<std::int64_t> deadline_in_ms = std::nullopt) {
    return RunOn(*actions_, host_, action, input, deadline_in_ms);
  }

  // The simulator's control API.
  sim::Reply Control(const std::string& method, const std::string& path,
                     const sdk::Json& body = nullptr) {
    return sim::Http(sim_.port(), method, path, body.is_null() ? "" : body.dump());
  }
  sdk::Json ShopControl(const std::string& method, const std::string& tail,
                        const sdk::Json& body = nullptr) {
    sim::Reply r = Control(method, std::string("/_sim/shops/") + kAlpha + tail, body);
    EXPECT_LT(r.status, 300) << method << " " << tail << ": " << r.status << " " << r.body;
    return r.json();
  }

  void TearDown() override {
    if (HasFailure()) std::cerr << "simulator log:\n" << sim_.log() << "\n";
    sim_.Stop();
  }

  sim::SimProcess sim_;
  BucketHost host_{{{"ALPHA_ADMIN", kAlphaAdminToken},
                    {"ALPHA_STOREFRONT", kAlphaStorefrontToken},
                    {kWrongAdminSecret, "shpat_wrong"}}};
  std::unique_ptr<ShopifyActions> actions_;
};

}  // namespace storeflow::plugins::shopify::testing
