// The example plugin, loaded from its build folder by the plugin test kit (the
// engine's plugin host over a SQLite store: what `storeflow serve` does). Built
// in storeflow's tree and, by the install test, out of it against an installed
// storeflow.

#include <gtest/gtest.h>
#include <storeflow/plugin.h>
#include <storeflow/testkit.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace {

using storeflow::testkit::HostOptions;
using storeflow::testkit::Json;
using storeflow::testkit::TestHost;

HostOptions WithConfig(Json config) {
  HostOptions options;
  options.config = std::move(config);
  return options;
}

TEST(ExamplePlugin, LoadsWithItsActions) {
  TestHost host(STOREFLOW_PLUGIN_UNDER_TEST);
  ASSERT_TRUE(host.loaded()) << host.error();
  EXPECT_EQ(host.name(), "example");
  EXPECT_EQ(host.version(), "1.0.0");
  // Built against this SDK: the ABI of its plugin.h.
  EXPECT_EQ(host.abi(), std::to_string(STOREFLOW_PLUGIN_ABI_MAJOR) + "." +
                            std::to_string(STOREFLOW_PLUGIN_ABI_MINOR));
  EXPECT_EQ(host.actions(),
            (std::vector<std::string>{"example.greet", "example.slugify", "example.render"}));
  EXPECT_TRUE(host.config_schema()["properties"].contains("greeting"));
}

TEST(ExamplePlugin, GreetsWithConfigAndCountsInItsKeyValueStore) {
  TestHost host(STOREFLOW_PLUGIN_UNDER_TEST, WithConfig({{"greeting", "Howdy"}}));
  auto first = host.Invoke("example.greet", {{"name", "Ada"}});
  ASSERT_TRUE(first.ok) << first;
  EXPECT_EQ(first.output["message"], "Howdy, Ada!");
  EXPECT_EQ(first.output["count"], 1);
  auto second = host.Invoke("example.greet", {{"name", "Ada"}, {"greeting", "Hi"}});
  ASSERT_TRUE(second.ok) << second;
  EXPECT_EQ(second.output["message"], "Hi, Ada!");
  EXPECT_EQ(second.output["count"], 2);
  EXPECT_TRUE(host.Logged("greeted Ada (2 times)"));
}

TEST(ExamplePlugin, Slugifies) {
  TestHost host(STOREFLOW_PLUGIN_UNDER_TEST);
  auto slug = host.Invoke("example.slugify", {{"text", "  Hello, World! 2026 "}});
  ASSERT_TRUE(slug.ok) << slug;
  EXPECT_EQ(slug.output["slug"], "hello-world-2026");
  auto cut = host.Invoke("example.slugify", {{"text", "abc def"}, {"max_length", 4}});
  ASSERT_TRUE(cut.ok) << cut;
  EXPECT_EQ(cut.output["slug"], "abc");
}

TEST(ExamplePlugin, RendersWithTheEngineTemplating) {
  TestHost host(STOREFLOW_PLUGIN_UNDER_TEST);
  auto text = host.Invoke("example.render", {{"template", "Hi ${{ name }}, ${{ n * 2 }}"},
                                             {"data", {{"name", "Ada"}, {"n", 21}}}});
  ASSERT_TRUE(text.ok) << text;
  EXPECT_EQ(text.output["text"], "Hi Ada, 42");
}

TEST(ExamplePlugin, InputIsCheckedAgainstTheSchema) {
  TestHost host(STOREFLOW_PLUGIN_UNDER_TEST);
  auto bad = host.Invoke("example.greet", {{"name", 5}});
  ASSERT_FALSE(bad.ok);
  EXPECT_FALSE(bad.retryable);
  EXPECT_EQ(bad.code, "invalid_input");
  EXPECT_NE(bad.message.find("$.name"), std::string::npos) << bad;
}

TEST(ExamplePlugin, AnUnknownActionIsNamedWithTheKnownOnes) {
  TestHost host(STOREFLOW_PLUGIN_UNDER_TEST);
  auto reply = host.Invoke("example.gret", {{"name", "Ada"}});
  ASSERT_FALSE(reply.ok);
  EXPECT_EQ(reply.code, "unknown_action");
  EXPECT_NE(reply.message.find("example.greet"), std::string::npos) << reply;
}

TEST(ExamplePlugin, AnUnknownConfigKeyIsRefusedNamingTheValidOnes) {
  TestHost host(STOREFLOW_PLUGIN_UNDER_TEST, WithConfig({{"greting", "Hello"}}));
  EXPECT_FALSE(host.loaded());
  EXPECT_NE(host.error().find("unknown key 'greting'"), std::string::npos) << host.error();
  EXPECT_NE(host.error().find("did you mean 'greeting'"), std::string::npos) << host.error();
  EXPECT_EQ(host.Invoke("example.greet", {{"name", "Ada"}}).code, "unknown_action");
}

// The `timer` source (ABI 1.3): one event per topic per tick, each with the time
// slot as its dedup key, until the host asks it to stop.
TEST(ExamplePlugin, TimerSourcePublishesTicksUntilStopped) {
  TestHost host(STOREFLOW_PLUGIN_UNDER_TEST, WithConfig({{"timer_interval_ms", 20}}));
  ASSERT_TRUE(host.loaded()) << host.error();
  auto run = host.RunSource("timer", {"tick", "tock"}, 6, std::chrono::seconds(20));
  ASSERT_EQ(run.error, "");
  ASSERT_GE(run.events.size(), 6u);
  EXPECT_EQ(run.events[0].topic, "timer/tick");
  EXPECT_EQ(run.events[1].topic, "timer/tock");
  EXPECT_EQ(run.events[0].payload["tick"], 1);
  EXPECT_EQ(run.events[0].payload["topic"], "tick");
  ASSERT_TRUE(run.events[0].dedup_key.has_value());
  EXPECT_EQ(*run.events[0].dedup_key, "tick/" + run.events[0].payload["slot"].dump());
}

// A source no plugin declares is refused, naming the known ones.
TEST(ExamplePlugin, AnUnknownSourceIsRefused) {
  TestHost host(STOREFLOW_PLUGIN_UNDER_TEST);
  auto run = host.RunSource("timr", {"tick"}, 1, std::chrono::milliseconds(10));
  EXPECT_NE(run.error.find("timr/tick"), std::string::npos) << run.error;
  EXPECT_NE(run.error.find("timer"), std::string::npos) << run.error;
  EXPECT_TRUE(run.events.empty());
}

}  // namespace
