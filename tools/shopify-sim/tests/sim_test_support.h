#pragma once

// A simulator process per test, started on the fixtures in
// tests/fixtures/shopify/sim (shops alpha and beta on the standard plan, gamma on plus).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim_process.h"

namespace storeflow::shopify_sim::testing {

inline constexpr const char* kAlpha = "alpha.myshopify.com";
inline constexpr const char* kAlphaToken = "shpat_alpha_admin_token_0001";
inline constexpr const char* kAlphaStorefrontToken = "sf_alpha_storefront_token_0001";
inline constexpr const char* kBeta = "beta.myshopify.com";
inline constexpr const char* kBetaToken = "shpat_beta_admin_token_0002";

class SimTest : public ::testing::Test {
 protected:
  // Starts the simulator with extra arguments (e.g. {"--orders", "2537"}).
  void StartSim(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {
        "--port", "0", "--fixtures",
        std::string(STOREFLOW_SOURCE_DIR) + "/tests/fixtures/shopify/sim"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string log = ::testing::TempDir() + "shopify_sim_" + info->name() + ".log";
    ASSERT_TRUE(sim_.Start(args, log)) << sim_.log();
  }

  std::string AdminPath(const std::string& shop, const std::string& tail) const {
    return "/shops/" + shop + "/admin/api/2025-07/" + tail;
  }

  Reply Admin(const std::string& tail, const std::string& shop = kAlpha,
              const std::string& token = kAlphaToken) {
    return Http(sim_.port(), "GET", AdminPath(shop, tail), "", {{"X-Shopify-Access-Token", token}});
  }

  Reply Control(const std::string& method, const std::string& path,
                const nlohmann::json& body = nullptr) {
    return Http(sim_.port(), method, path, body.is_null() ? "" : body.dump());
  }

  void TearDown() override {
    if (HasFailure()) std::cerr << "simulator log:\n" << sim_.log() << "\n";
    sim_.Stop();
  }

  SimProcess sim_;
};

}  // namespace storeflow::shopify_sim::testing
