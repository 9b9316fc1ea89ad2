// The plugin test kit (<storeflow/testkit.hpp>) over the fixture plugins: what it
// tells a plugin (the call, secrets, the clock) and what it reports back (errors
// with their class, load failures, a store kept in a file).

#include "storeflow/testkit.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>

#include "plugin_test_util.h"

namespace storeflow::plugin::testing {
namespace {

using storeflow::testkit::CallOptions;
using storeflow::testkit::HostOptions;
using storeflow::testkit::TestHost;

TEST(TestKitTest, TheCallOptionsReachThePlugin) {
  TestHost host(FixtureDir("testkit").string());
  ASSERT_TRUE(host.loaded()) << host.error();
  CallOptions call;
  call.run_id = 42;
  call.workflow = "orders";
  call.step_path = "emails[1].send";
  call.attempt = 3;
  auto reply = host.Invoke("testkit.echo", {{"x", 1}}, call);
  ASSERT_TRUE(reply.ok) << reply;
  EXPECT_EQ(reply.output["input"], Json({{"x", 1}}));
  EXPECT_EQ(reply.output["call"]["run_id"], 42);
  EXPECT_EQ(reply.output["call"]["workflow"], "orders");
  EXPECT_EQ(reply.output["call"]["step_path"], "emails[1].send");
  EXPECT_EQ(reply.output["call"]["attempt"], 3);
  EXPECT_EQ(reply.output["call"]["idempotency_key"], "testkit/42/emails[1].send");
}

TEST(TestKitTest, ErrorsKeepTheirClassCodeAndRetryHint) {
  TestHost host(FixtureDir("testkit").string());
  auto retryable = host.Invoke(
      "testkit.fail", {{"kind", "retryable"}, {"code", "http_503"}, {"retry_after_ms", 1500}});
  ASSERT_FALSE(retryable.ok);
  EXPECT_TRUE(retryable.retryable);
  EXPECT_EQ(retryable.code, "http_503");
  EXPECT_EQ(retryable.retry_after_ms, 1500);
  auto permanent = host.Invoke("testkit.fail", {{"kind", "permanent"}, {"code", "bad"}});
  ASSERT_FALSE(permanent.ok);
  EXPECT_FALSE(permanent.retryable);
  EXPECT_EQ(permanent.code, "bad");
  std::ostringstream printed;
  printed << permanent;
  EXPECT_EQ(printed.str(), "permanent error bad: failed on purpose");
}

TEST(TestKitTest, SecretsAndTheVirtualClockAreTheHosts) {
  HostOptions options;
  options.secrets = {{"API_KEY", "k-123"}};
  options.clock_ms = 1'700'000'000'000;
  TestHost host(FixtureDir("testkit").string(), options);
  auto secret = host.Invoke("testkit.secret", {{"name", "API_KEY"}});
  ASSERT_TRUE(secret.ok) << secret;
  EXPECT_EQ(secret.output["value"], "k-123");
  EXPECT_EQ(host.Invoke("testkit.secret", {{"name", "OTHER"}}).output["found"], false);
  EXPECT_EQ(host.Invoke("testkit.now", Json::object()).output["now"], 1'700'000'000'000);
  host.AdvanceClockTo(1'700'000'060'000);
  EXPECT_EQ(host.Invoke("testkit.now", Json::object()).output["now"], 1'700'000'060'000);
}

TEST(TestKitTest, APluginThatDoesNotLoadSaysWhy) {
  TestHost missing("/nonexistent/storeflow-plugin");
  EXPECT_FALSE(missing.loaded());
  EXPECT_NE(missing.error().find("/nonexistent/storeflow-plugin/plugin.yaml"), std::string::npos)
      << missing.error();
  TestHost throws(FixtureDir("init_throws").string());
  EXPECT_FALSE(throws.loaded());
  EXPECT_FALSE(throws.error().empty());
  auto reply = throws.Invoke("init_throws.echo", Json::object());
  EXPECT_EQ(reply.code, "unknown_action");
  EXPECT_NE(reply.message.find("it did not load"), std::string::npos) << reply;
}

TEST(TestKitTest, AStoreThatDoesNotOpenIsTheError) {
  HostOptions options;
  options.database = "sqlite:/nonexistent/storeflow-kit/kit.db";
  TestHost host(PluginDir("example").string(), options);
  EXPECT_FALSE(host.loaded());
  EXPECT_NE(host.error().find("the test store sqlite:/nonexistent/storeflow-kit/kit.db"),
            std::string::npos)
      << host.error();
  EXPECT_EQ(host.Invoke("example.greet", {{"name", "Ada"}}).code, "unknown_action");
  EXPECT_EQ(host.RunSource("timer", {"tick"}, 1, std::chrono::milliseconds(10)).error,
            host.error());
}

TEST(TestKitTest, AFileDatabaseKeepsTheKeyValueStoreAcrossHosts) {
  TempDir tmp;
  HostOptions options;
  options.database = "sqlite:" + (tmp.path() / "kit.db").string();
  {
    TestHost first(PluginDir("example").string(), options);
    ASSERT_TRUE(first.loaded()) << first.error();
    EXPECT_EQ(first.Invoke("example.greet", {{"name", "Ada"}}).output["count"], 1);
  }
  TestHost second(PluginDir("example").string(), options);
  EXPECT_EQ(second.Invoke("example.greet", {{"name", "Ada"}}).output["count"], 2);
}

}  // namespace
}  // namespace storeflow::plugin::testing
