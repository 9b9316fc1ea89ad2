// The simulator's command line: bad flags and bad fixtures end it with a message that
// names the problem, before it listens.

#include <fstream>

#include "sim_test_support.h"

namespace storeflow::shopify_sim::testing {
namespace {

std::string TempLog(const std::string& name) {
  return ::testing::TempDir() + "shopify_sim_cli_" + name + ".log";
}

TEST(SimCli, MissingFixturesFolderIsReported) {
  SimProcess sim;
  EXPECT_FALSE(sim.Start({"--port", "0", "--fixtures", "/nonexistent/fixtures"}, TempLog("missing"),
                         std::chrono::seconds(30)));
  EXPECT_NE(sim.log().find("/nonexistent/fixtures/shops.json: cannot be opened"), std::string::npos)
      << sim.log();
}

TEST(SimCli, BadFlagsAreReported) {
  SimProcess sim;
  EXPECT_FALSE(sim.Start({"--port", "0"}, TempLog("noflags"), std::chrono::seconds(30)));
  EXPECT_NE(sim.log().find("--port and --fixtures are required"), std::string::npos) << sim.log();
  SimProcess other;
  EXPECT_FALSE(other.Start({"--port", "0", "--fixtures", "x", "--orders", "many"},
                           TempLog("orders"), std::chrono::seconds(30)));
  EXPECT_NE(other.log().find("--orders: invalid value 'many'"), std::string::npos) << other.log();
}

TEST(SimCli, BadShopEntryNamesTheJsonPath) {
  const std::filesystem::path dir = ::testing::TempDir() + "shopify_sim_bad_fixtures";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "shops.json") << R"([{"domain":"a.myshopify.com","admin_token":"t"}])";
  SimProcess sim;
  EXPECT_FALSE(sim.Start({"--port", "0", "--fixtures", dir.string()}, TempLog("badshop"),
                         std::chrono::seconds(30)));
  EXPECT_NE(sim.log().find("shops.json: $[0].storefront_token: a non-empty string is required"),
            std::string::npos)
      << sim.log();
}

}  // namespace
}  // namespace storeflow::shopify_sim::testing
