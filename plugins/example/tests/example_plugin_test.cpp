// The example plugin, loaded from the build folder through the engine's plugin
// host (the same path `storeflow run` takes).

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "plugin/plugin_host.h"
#include "runtime/action.h"
#include "store/store.h"
#include "storeflow/plugin.h"

namespace storeflow::plugin {
namespace {

using Json = nlohmann::json;

class ExamplePluginTest : public ::testing::Test {
 protected:
  void Load(Json config = Json::object()) {
    auto store = store::Store::Open("sqlite::memory:", store::OpenOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    PluginHostOptions options;
    options.dirs = {std::string(STOREFLOW_PLUGIN_DIR) + "/example"};
    options.store = store_.get();
    options.configs["example"] = std::move(config);
    host_ = std::make_unique<PluginHost>(options);
    host_->LoadAll(registry_);
  }

  runtime::ActionResult Call(const std::string& action, const Json& input) {
    runtime::Action* a = registry_.Find(action);
    EXPECT_NE(a, nullptr) << action;
    if (a == nullptr) return runtime::ActionError::Permanent("missing", action);
    runtime::ActionContext context;
    context.run_id = 7;
    context.step_path = "greet";
    return a->Invoke(input, context);
  }

  std::unique_ptr<store::Store> store_;
  runtime::ActionRegistry registry_;
  std::unique_ptr<PluginHost> host_;
};

TEST_F(ExamplePluginTest, LoadsWithItsActions) {
  Load();
  const PluginInfo* info = host_->Find("example");
  ASSERT_NE(info, nullptr);
  EXPECT_TRUE(info->loaded()) << info->error.ToString();
  EXPECT_EQ(info->version, "1.0.0");
  // Built in this tree: the ABI of this tree's plugin.h.
  EXPECT_EQ(info->abi, std::to_string(STOREFLOW_PLUGIN_ABI_MAJOR) + "." +
                           std::to_string(STOREFLOW_PLUGIN_ABI_MINOR));
  EXPECT_EQ(info->actions,
            (std::vector<std::string>{"example.greet", "example.slugify", "example.render"}));
}

TEST_F(ExamplePluginTest, GreetsWithConfigAndCountsInItsKeyValueStore) {
  Load({{"greeting", "Howdy"}});
  auto first = Call("example.greet", {{"name", "Ada"}});
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first.output()["message"], "Howdy, Ada!");
  EXPECT_EQ(first.output()["count"], 1);
  auto second = Call("example.greet", {{"name", "Ada"}, {"greeting", "Hi"}});
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second.output()["message"], "Hi, Ada!");
  EXPECT_EQ(second.output()["count"], 2);
}

TEST_F(ExamplePluginTest, Slugifies) {
  Load();
  auto slug = Call("example.slugify", {{"text", "  Hello, World! 2026 "}});
  ASSERT_TRUE(slug.ok()) << slug.error().message;
  EXPECT_EQ(slug.output()["slug"], "hello-world-2026");
  auto cut = Call("example.slugify", {{"text", "abc def"}, {"max_length", 4}});
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut.output()["slug"], "abc");
}

TEST_F(ExamplePluginTest, RendersWithTheEngineTemplating) {
  Load();
  auto text = Call("example.render", {{"template", "Hi ${{ name }}, ${{ n * 2 }}"},
                                      {"data", {{"name", "Ada"}, {"n", 21}}}});
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(text.output()["text"], "Hi Ada, 42");
}

TEST_F(ExamplePluginTest, InputIsCheckedAgainstTheSchema) {
  Load();
  auto bad = Call("example.greet", {{"name", 5}});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error().permanent());
  EXPECT_EQ(bad.error().code, "invalid_input");
  EXPECT_NE(bad.error().message.find("$.name"), std::string::npos) << bad.error().message;
}

TEST_F(ExamplePluginTest, AnUnknownConfigKeyIsRefusedNamingTheValidOnes) {
  Load({{"greting", "Hello"}});
  const PluginInfo* info = host_->Find("example");
  ASSERT_NE(info, nullptr);
  EXPECT_FALSE(info->loaded());
  EXPECT_NE(info->error.message().find("unknown key 'greting'"), std::string::npos)
      << info->error.message();
  EXPECT_NE(info->error.message().find("did you mean 'greeting'"), std::string::npos)
      << info->error.message();
  EXPECT_EQ(registry_.Find("example.greet"), nullptr);
}

// The `timer` source (ABI 1.3): started by the host on a thread of its own, it
// publishes one event per topic per tick, each through the publisher (the engine
// commits there), and stops when the host asks.
TEST_F(ExamplePluginTest, TimerSourcePublishesTicksUntilStopped) {
  Load({{"timer_interval_ms", 20}});
  ASSERT_TRUE(host_->Find("example")->loaded()) << host_->Find("example")->error.ToString();
  EXPECT_EQ(host_->SourceNames().at("timer"), "example");
  std::mutex mu;
  std::condition_variable cv;
  std::vector<SourceEvent> events;
  auto publisher = [&](SourceEvent event) -> Result<bool> {
    std::lock_guard lock(mu);
    events.push_back(std::move(event));
    cv.notify_all();
    return true;
  };
  ASSERT_TRUE(host_->StartSources({{"timer", {"tick", "tock"}}}, publisher).ok());
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return events.size() >= 6; }))
        << "only " << events.size() << " ticks";
  }
  host_->StopSources();
  std::lock_guard lock(mu);
  const std::size_t after_stop = events.size();
  EXPECT_EQ(events[0].source, "timer");
  EXPECT_EQ(events[0].topic, "timer/tick");
  EXPECT_EQ(events[1].topic, "timer/tock");
  EXPECT_EQ(events[0].payload["tick"], 1);
  EXPECT_EQ(events[0].payload["topic"], "tick");
  ASSERT_TRUE(events[0].dedup_key.has_value());
  EXPECT_EQ(*events[0].dedup_key, "tick/" + events[0].payload["slot"].dump());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(events.size(), after_stop) << "the source published after it was stopped";
}

// A source no plugin declares is refused, naming the known ones.
TEST_F(ExamplePluginTest, AnUnknownSourceIsRefused) {
  Load();
  Status started = host_->StartSources({{"timr", {"tick"}}}, nullptr);
  EXPECT_EQ(started.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(started.message().find("queue: timr/tick"), std::string::npos) << started.message();
  EXPECT_NE(started.message().find("timer"), std::string::npos) << started.message();
}

}  // namespace
}  // namespace storeflow::plugin
