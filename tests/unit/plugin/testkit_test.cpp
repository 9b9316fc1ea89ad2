// The plugin test kit (<storeflow/testkit.hpp>) over the fixture plugins: what it
// tells a plugin (the call, secrets, the clock) and what it reports back (errors
// with their class, load failures, a store kept in a file).

#include "storeflow/testkit.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>

#include "common/metrics.h"

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

TEST(TestKitTest, TheDeadlineAndTheManifestReachTheTest) {
  HostOptions options;
  options.clock_ms = 1'700'000'000'000;
  TestHost host(FixtureDir("testkit").string(), options);
  ASSERT_TRUE(host.loaded()) << host.error();
  CallOptions call;
  call.deadline_ms = 1'700'000'001'500;
  auto reply = host.Invoke("testkit.now", Json::object(), call);
  ASSERT_TRUE(reply.ok) << reply;
  EXPECT_EQ(reply.output["call_now"], 1'700'000'000'000);
  EXPECT_EQ(reply.output["deadline"], 1'700'000'001'500);
  EXPECT_TRUE(host.Invoke("testkit.now", Json::object()).output["deadline"].is_null());
  // The whole manifest, as the library declares it.
  const Json manifest = host.manifest();
  ASSERT_TRUE(manifest["actions"].is_array());
  EXPECT_EQ(manifest["actions"].size(), host.actions().size());
  EXPECT_EQ(manifest["actions"][0]["name"], "testkit.echo");
  EXPECT_EQ(manifest["sources"][0]["name"], "testkit");
  EXPECT_EQ(manifest["config_schema"], host.config_schema());
  // permanent(): an error that is not retryable.
  EXPECT_TRUE(host.Invoke("testkit.fail", {{"kind", "permanent"}}).permanent());
  EXPECT_FALSE(host.Invoke("testkit.fail", {{"kind", "retryable"}}).permanent());
  EXPECT_FALSE(reply.permanent());
}

TEST(TestKitTest, CountersAreReadFromTheEnginesRegistrySinceTheHostWasMade) {
  {
    TestHost before(FixtureDir("testkit").string());
    ASSERT_TRUE(
        before
            .Invoke("testkit.metric",
                    {{"name", "kit_sent"}, {"value", 2}, {"labels", {{"transport", "outbox"}}}})
            .ok);
    EXPECT_EQ(before.Counter("kit_sent_total"), 2);
  }
  TestHost host(FixtureDir("testkit").string());
  EXPECT_EQ(host.Counter("kit_sent_total"), 0) << "counted before this host was made";
  host.Invoke("testkit.metric",
              {{"name", "kit_sent"}, {"value", 3}, {"labels", {{"transport", "outbox"}}}});
  host.Invoke("testkit.metric", {{"name", "kit_sent"},
                                 {"value", 1},
                                 {"labels", {{"transport", "smtp"}, {"code", "smtp_451"}}}});
  EXPECT_EQ(host.Counter("kit_sent_total"), 4);
  EXPECT_EQ(host.Counter("kit_sent_total", {{"transport", "outbox"}}), 3);
  EXPECT_EQ(host.Counter("kit_sent_total", {{"transport", "smtp"}}), 1);
  EXPECT_EQ(host.Counter("kit_sent_total", {{"transport", "smtp"}, {"code", "smtp_451"}}), 1);
  EXPECT_EQ(host.Counter("kit_sent_total", {{"transport", "ses"}}), 0);
  EXPECT_EQ(host.Counter("other_total"), 0);
  // The engine's registry (what /metrics shows) holds both hosts' samples.
  EXPECT_EQ(metrics::Registry::Default().Value("storeflow_plugin_testkit_kit_sent_total",
                                               {{"transport", "outbox"}}),
            5);
}

TEST(TestKitTest, RateBucketsAreTheEngineGovernors) {
  TestHost host(FixtureDir("testkit").string());
  EXPECT_EQ(host.RateLevel("b"), std::nullopt);
  auto take = [&](double cost) {
    auto reply = host.Invoke("testkit.rate",
                             {{"bucket", "b"}, {"capacity", 3}, {"refill", 0}, {"cost", cost}});
    EXPECT_TRUE(reply.ok) << reply;
    return reply.output["taken"].get<bool>();
  };
  EXPECT_TRUE(take(2));
  EXPECT_EQ(host.RateLevel("b"), 1);
  host.SetRateLevel("b", 0);
  EXPECT_EQ(host.RateLevel("b"), 0);
  EXPECT_FALSE(take(1)) << "an empty bucket that never refills";
  host.SetRateLevel("b", 3);
  EXPECT_TRUE(take(3));
  EXPECT_EQ(host.RateLevel("b"), 0);
  const auto acquires = host.RateAcquires();
  ASSERT_EQ(acquires.size(), 3u);
  EXPECT_EQ(acquires[0].bucket, "b");
  EXPECT_EQ(acquires[0].cost, 2);
  EXPECT_EQ(acquires[1].cost, 1);
  EXPECT_EQ(acquires[2].cost, 3);
  // Bad arguments are the governor's error, and not an acquire.
  EXPECT_FALSE(
      host.Invoke("testkit.rate", {{"bucket", "b"}, {"capacity", 1}, {"refill", 0}, {"cost", 2}})
          .ok);
  EXPECT_EQ(host.RateAcquires().size(), 3u);
}

TEST(TestKitTest, HostServicesWithoutAPluginAreTheEngines) {
  HostOptions options;
  options.secrets = {{"TOKEN", "tok-123"}};
  auto host = TestHost::WithoutPlugin("shop", options);
  ASSERT_TRUE(host->loaded()) << host->error();
  EXPECT_EQ(host->name(), "shop");
  EXPECT_TRUE(host->actions().empty());
  const storeflow_host_v1* services = host->host_services();
  ASSERT_NE(services, nullptr);
  void* ctx = services->context;
  EXPECT_STREQ(services->secret(ctx, "TOKEN"), "tok-123");
  EXPECT_EQ(services->secret(ctx, "OTHER"), nullptr);
  // The key/value store is the SQLite store's.
  const std::string value = "v1";
  EXPECT_EQ(services->kv_put(ctx, "k", value.data(), value.size(), 0), 0);
  std::string read;
  EXPECT_EQ(services->kv_get(
                ctx, "k",
                [](void* user, const char* data, std::size_t size) {
                  static_cast<std::string*>(user)->assign(data, size);
                },
                &read),
            1);
  EXPECT_EQ(read, "v1");
  std::int64_t retry_after = 0;
  EXPECT_EQ(services->rate_acquire(ctx, "b", 2, 0, 2, 0, &retry_after), 1);
  EXPECT_EQ(services->rate_acquire(ctx, "b", 2, 0, 1, 0, &retry_after), 0);
  EXPECT_EQ(retry_after, -1);
  EXPECT_EQ(host->RateLevel("b"), 0);
  ASSERT_EQ(host->RateAcquires().size(), 2u);
  services->counter_add(ctx, "calls", R"({"action":"orders_count"})", 1);
  EXPECT_EQ(host->Counter("calls", {{"action", "orders_count"}}), 1);
  services->log(ctx, nullptr, STOREFLOW_LOG_WARN, "leaked tok-123");
  EXPECT_TRUE(host->Logged("warn: [plugin shop]: leaked ***")) << host->logs().back();
  EXPECT_EQ(host->Invoke("shop.x", Json::object()).code, "unknown_action");

  // A loaded plugin's host services share its buckets.
  TestHost loaded(FixtureDir("testkit").string());
  const storeflow_host_v1* shared = loaded.host_services();
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(shared->rate_acquire(shared->context, "s", 5, 0, 4, 0, &retry_after), 1);
  auto reply =
      loaded.Invoke("testkit.rate", {{"bucket", "s"}, {"capacity", 5}, {"refill", 0}, {"cost", 2}});
  EXPECT_EQ(reply.output["taken"], false) << reply;
}

TEST(TestKitTest, APluginThatDoesNotLoadSaysWhy) {
  TestHost missing("/nonexistent/storeflow-plugin");
  EXPECT_FALSE(missing.loaded());
  EXPECT_NE(missing.error().find("/nonexistent/storeflow-plugin/plugin.yaml"), std::string::npos)
      << missing.error();
  TestHost throws(FixtureDir("init_throws").string());
  EXPECT_FALSE(throws.loaded());
  EXPECT_FALSE(throws.error().empty());
  // What its init answered (the SDK replies for the exception that escaped it).
  auto init = throws.init_error();
  EXPECT_TRUE(init.permanent());
  EXPECT_EQ(init.code, "plugin_exception") << throws.error();
  EXPECT_EQ(init.message, "cannot start: the fixture always fails in init");
  // Refused before init (config_schema): no code, the host's error.
  HostOptions bad;
  bad.config = {{"nope", 1}};
  TestHost refused(FixtureDir("testkit").string(), bad);
  EXPECT_FALSE(refused.loaded());
  EXPECT_EQ(refused.init_error().code, "");
  EXPECT_EQ(refused.init_error().message, refused.error());
  EXPECT_NE(refused.error().find("invalid configuration of plugin 'testkit'"), std::string::npos)
      << refused.error();
  TestHost fine(FixtureDir("testkit").string());
  EXPECT_EQ(fine.init_error().code, "");
  EXPECT_EQ(fine.init_error().message, "");
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
