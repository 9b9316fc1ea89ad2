// The simulator's command line: bad flags and bad fixtures end it with a message that
// names the problem, before it listens.

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <fstream>
#include <memory>

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

TEST(SimCli, ServesManyKeptAliveConnectionsAndEndsCleanlyOnSigterm) {
  SimProcess sim;
  ASSERT_TRUE(sim.Start({"--port", "0", "--fixtures",
                         std::string(STOREFLOW_SOURCE_DIR) + "/tests/fixtures/shopify/sim"},
                        TempLog("sigterm")))
      << sim.log();
  // 40 idle kept-alive connections do not starve the next client: none of them waits
  // for another's keep-alive timeout (5 s) to end.
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<Poco::Net::HTTPClientSession>> idle;
  for (int i = 0; i < 40; ++i) {
    auto session = std::make_unique<Poco::Net::HTTPClientSession>("127.0.0.1", sim.port());
    session->setKeepAlive(true);
    Poco::Net::HTTPRequest request("GET", "/_sim/clock", Poco::Net::HTTPMessage::HTTP_1_1);
    session->sendRequest(request);
    Poco::Net::HTTPResponse response;
    session->receiveResponse(response).ignore(1 << 20);
    ASSERT_EQ(response.getStatus(), 200);
    idle.push_back(std::move(session));
  }
  EXPECT_EQ(Http(sim.port(), "GET", "/_sim/shops").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_EQ(sim.Stop(), 0);
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
