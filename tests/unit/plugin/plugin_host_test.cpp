// The plugin host over the fixture plugins: failures kept per plugin, config and
// input validation, classified errors, exceptions turned into errors, host
// services (log, secrets, metrics, clock, templates).

#include "plugin/plugin_host.h"

#include "common/json_nesting.h"
#include "common/metrics.h"
#include "plugin/host_services.h"
#include "plugin_test_util.h"
#include "store/store.h"
#include "storeflow/plugin.h"

namespace storeflow::plugin::testing {
namespace {

constexpr runtime::TimeMs kT0 = kHostT0;

class PluginHostTest : public HostTest {};

TEST_F(PluginHostTest, LoadAllKeepsEveryFailureAndLoadsTheRest) {
  options_.dirs = {STOREFLOW_TEST_PLUGIN_DIR};
  Host().LoadAll(registry_);
  std::map<std::string, const PluginInfo*> by_folder;
  for (const PluginInfo& info : Host().plugins()) {
    by_folder[fs::path(info.path).parent_path().filename().string()] = &info;
  }
  ASSERT_EQ(by_folder.count("testkit"), 1u);
  EXPECT_TRUE(by_folder["testkit"]->loaded()) << by_folder["testkit"]->error.ToString();
  EXPECT_NE(registry_.Find("testkit.echo"), nullptr);
  for (const char* broken : {"abi_major", "abi_minor", "small_struct", "no_entry", "bad_manifest",
                             "bad_prefix", "name_mismatch", "init_throws", "store_clash"}) {
    ASSERT_EQ(by_folder.count(broken), 1u) << broken;
    EXPECT_FALSE(by_folder[broken]->loaded()) << broken;
  }
  // The two plugins named `twin`: the first (dup_a) loads, the second is refused.
  EXPECT_TRUE(by_folder["dup_a"]->loaded()) << by_folder["dup_a"]->error.ToString();
  EXPECT_FALSE(by_folder["dup_b"]->loaded());
  EXPECT_EQ(by_folder["dup_b"]->error.message(),
            FixtureYaml("dup_b").string() + ": a plugin named 'twin' is already loaded from " +
                FixtureYaml("dup_a").string() + " (plugin names must be unique)");
  // A plugin built for ABI 1.0 loads on this (newer-minor) host.
  ASSERT_EQ(by_folder.count("abi_v1_0"), 1u);
  EXPECT_TRUE(by_folder["abi_v1_0"]->loaded()) << by_folder["abi_v1_0"]->error.ToString();
  // invoke_throws loads (its invoke misbehaves later).
  EXPECT_TRUE(by_folder["invoke_throws"]->loaded());
  // The built-in store.put was not replaced.
  EXPECT_EQ(by_folder["store_clash"]->error.message(),
            (FixtureDir("store_clash") / "libstoreflow_fx_store_clash.so").string() +
                ": action 'store.put' is already registered (by a built-in or an earlier "
                "plugin)");
  EXPECT_EQ(registry_.Find("store.put")->description().rfind("inserts or replaces", 0), 0u);
  const PluginInfo* failed = Host().FailedProviderOf("abi_major.act");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->name, "abi_major");
  EXPECT_EQ(Host().FailedProviderOf("testkit.echo"), nullptr);
}

TEST_F(PluginHostTest, AMissingFolderAndAConfigForNoPluginAreWarnings) {
  options_.dirs = {"/no/such/folder"};
  options_.configs["mailr"] = Json::object();
  Host().LoadAll(registry_);
  ASSERT_EQ(Host().warnings().size(), 2u);
  EXPECT_EQ(Host().warnings()[0], "plugin folder /no/such/folder does not exist");
  EXPECT_EQ(Host().warnings()[1].find("plugins.config.mailr: no plugin named 'mailr' was found"),
            0u)
      << Host().warnings()[1];
}

TEST_F(PluginHostTest, InitThatThrowsIsALoadFailureNamingThePlugin) {
  PluginInfo info = LoadFixture("init_throws");
  EXPECT_FALSE(info.loaded());
  EXPECT_EQ(info.error.message(),
            "plugin 'init_throws' (" +
                (FixtureDir("init_throws") / "libstoreflow_fx_init_throws.so").string() +
                ") failed in init: plugin_exception: cannot start: the fixture always fails in "
                "init");
  EXPECT_EQ(registry_.Find("init_throws.echo"), nullptr);
}

TEST_F(PluginHostTest, ConfigUnknownKeyNamesValidKeysAndPosition) {
  options_.configs["testkit"] = {{"prefx", "a"}};
  options_.config_locations["testkit"] = {{"", "engine.yaml:7:5"}, {"/prefx", "engine.yaml:8:7"}};
  PluginInfo info = LoadFixture("testkit");
  EXPECT_FALSE(info.loaded());
  EXPECT_EQ(info.error.message(),
            "invalid configuration of plugin 'testkit':\n  engine.yaml:8:7: unknown key 'prefx' "
            "in 'plugins.config.testkit' (valid keys: nested, prefix); did you mean 'prefix'?");
}

TEST_F(PluginHostTest, ConfigNestedUnknownKeyAndSchemaViolations) {
  options_.configs["testkit"] = {{"nested", {{"levl", 1}}}};
  PluginInfo nested = LoadFixture("testkit");
  EXPECT_NE(nested.error.message().find(
                "plugins.config.testkit: unknown key 'levl' in 'plugins.config.testkit.nested' "
                "(valid keys: level); did you mean 'level'?"),
            std::string::npos)
      << nested.error.message();
  host_.reset();
  options_.configs["testkit"] = {{"nested", {{"level", 0}}}};
  options_.config_locations["testkit"] = {{"", "e.yaml:1:1"}, {"/nested/level", "e.yaml:3:14"}};
  PluginInfo range = LoadFixture("testkit");
  EXPECT_FALSE(range.loaded());
  EXPECT_NE(range.error.message().find("e.yaml:3:14: plugins.config.testkit $.nested.level: "),
            std::string::npos)
      << range.error.message();
}

TEST_F(PluginHostTest, ConfigReachesThePlugin) {
  options_.configs["testkit"] = {{"prefix", "p-"}};
  ASSERT_TRUE(LoadFixture("testkit").loaded());
  auto out = Call("testkit.echo", {{"x", 1}});
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out.output()["config"], Json({{"prefix", "p-"}}));
}

TEST_F(PluginHostTest, OutputNestedTooDeeplyIsRefusedWithItsPosition) {
  ASSERT_TRUE(LoadFixture("testkit").loaded());
  auto fine = Call("testkit.nest", {{"depth", kMaxJsonNesting}});
  ASSERT_TRUE(fine.ok()) << fine.error().message;
  // Deeper than the limit: refused before anything copies or dumps the value
  // (which recurse), naming where the too-deep bracket is. (300 deep: the fixture
  // plugin itself serializes its reply with nlohmann's recursive dump, whose frames
  // under clang's ASan overflow the stack at a few thousand levels.)
  auto deep = Call("testkit.nest", {{"depth", 300}});
  ASSERT_FALSE(deep.ok());
  EXPECT_TRUE(deep.error().permanent());
  EXPECT_EQ(deep.error().code, "plugin_bad_output");
  EXPECT_NE(deep.error().message.find("nesting deeper than 128 levels (at line 1, column 129)"),
            std::string::npos)
      << deep.error().message;
}

TEST_F(PluginHostTest, InputIsValidatedWithItsJsonPath) {
  ASSERT_TRUE(LoadFixture("testkit").loaded());
  auto bad = Call("testkit.kv", {{"op", "get"}, {"key", 12}});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error().permanent());
  EXPECT_EQ(bad.error().code, "invalid_input");
  EXPECT_EQ(bad.error().message.rfind("input of action 'testkit.kv' does not match its schema: "
                                      "$.key: ",
                                      0),
            0u)
      << bad.error().message;
  auto missing = Call("testkit.fail", Json::object());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("$: "), std::string::npos) << missing.error().message;
}

TEST_F(PluginHostTest, OutputIsValidatedAgainstItsOutputSchema) {
  ASSERT_TRUE(LoadFixture("testkit").loaded());
  auto fine = Call("testkit.shaped", {{"count", 3}});
  ASSERT_TRUE(fine.ok()) << fine.error().message;
  EXPECT_EQ(fine.output()["count"], 3);
  auto bad = Call("testkit.shaped", {{"count", "three"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error().permanent());
  EXPECT_EQ(bad.error().code, "invalid_output");
  EXPECT_EQ(bad.error().message.rfind(
                "output of action 'testkit.shaped' does not match its output_schema: $.count: ", 0),
            0u)
      << bad.error().message;
  // An action without an output schema may answer anything.
  ASSERT_TRUE(Call("testkit.echo", {{"count", "three"}}).ok());
}

TEST_F(PluginHostTest, CallContextReachesThePlugin) {
  ASSERT_TRUE(LoadFixture("testkit").loaded());
  runtime::ActionContext c;
  c.run_id = 42;
  c.workflow = "orders";
  c.step_path = "items[1].send";
  c.idempotency_key = "42/items[1].send";
  c.attempt = 3;
  c.previous_attempt = runtime::PreviousAttempt::kUnknown;
  auto out = Call("testkit.echo", Json::object(), c);
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out.output()["call"], Json({{"run_id", 42},
                                        {"workflow", "orders"},
                                        {"step_path", "items[1].send"},
                                        {"idempotency_key", "42/items[1].send"},
                                        {"attempt", 3},
                                        {"previous_attempt", STOREFLOW_PREVIOUS_UNKNOWN}}));
}

TEST_F(PluginHostTest, ErrorsKeepTheirClass) {
  ASSERT_TRUE(LoadFixture("testkit").loaded());
  auto retry = Call(
      "testkit.fail",
      {{"kind", "retryable"}, {"code", "http_503"}, {"message", "busy"}, {"retry_after_ms", 1500}});
  ASSERT_FALSE(retry.ok());
  EXPECT_FALSE(retry.error().permanent());
  EXPECT_EQ(retry.error().code, "http_503");
  EXPECT_EQ(retry.error().message, "busy");
  ASSERT_TRUE(retry.error().retry_after.has_value());
  EXPECT_EQ(retry.error().retry_after->count(), 1500);
  auto no_hint = Call("testkit.fail", {{"kind", "retryable"}});
  EXPECT_FALSE(no_hint.error().retry_after.has_value());
  auto permanent = Call("testkit.fail", {{"kind", "permanent"}, {"code", "smtp_550"}});
  ASSERT_FALSE(permanent.ok());
  EXPECT_TRUE(permanent.error().permanent());
  EXPECT_EQ(permanent.error().code, "smtp_550");
}

TEST_F(PluginHostTest, ExceptionsBecomePermanentErrors) {
  ASSERT_TRUE(LoadFixture("testkit").loaded());
  auto thrown = Call("testkit.fail", {{"kind", "throw"}, {"message", "boom"}});
  ASSERT_FALSE(thrown.ok());
  EXPECT_TRUE(thrown.error().permanent());
  EXPECT_EQ(thrown.error().code, "plugin_exception");
  EXPECT_EQ(thrown.error().message, "boom");
  auto odd = Call("testkit.fail", {{"kind", "throw_int"}});
  EXPECT_EQ(odd.error().code, "plugin_exception");
  EXPECT_EQ(odd.error().message, "the plugin threw a non-standard exception");
  // A raw C plugin whose invoke lets an exception escape, and one that never replies.
  ASSERT_TRUE(LoadFixture("invoke_throws").loaded());
  auto escaped = Call("invoke_throws.act", Json::object());
  ASSERT_FALSE(escaped.ok());
  EXPECT_EQ(escaped.error().code, "plugin_exception");
  EXPECT_EQ(escaped.error().message,
            "plugin 'invoke_throws' action 'invoke_throws.act' let an "
            "exception escape: raw invoke threw");
  // name_mismatch's library (whose invoke never replies), under its own name.
  TempDir tmp;
  const fs::path quiet = tmp.CopyPlugin(FixtureDir("name_mismatch"), "quiet");
  WriteText(quiet / "plugin.yaml",
            "name: other_name\nversion: 0.1.0\nabi: \"1.0\"\n"
            "library: libstoreflow_fx_name_mismatch.so\n");
  ASSERT_TRUE(Host().LoadOne(quiet / "plugin.yaml", registry_).loaded());
  auto none = Call("other_name.act", Json::object());
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, "plugin_no_reply");
  EXPECT_EQ(none.error().message,
            "plugin 'other_name' action 'other_name.act' returned without a reply");
}

TEST_F(PluginHostTest, AfterShutdownCallsFailCleanly) {
  ASSERT_TRUE(LoadFixture("testkit").loaded());
  Host().Shutdown();
  auto after = Call("testkit.echo", Json::object());
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, "plugin_unavailable");
}

TEST_F(PluginHostTest, ShutdownRunsInReverseLoadOrderOnce) {
  ASSERT_TRUE(LoadFixture("testkit").loaded());
  ASSERT_TRUE(LoadFixture("dup_a").loaded());  // the testkit code, named twin
  Host().Shutdown();
  Host().Shutdown();
  std::vector<std::string> shutdowns;
  for (const auto& line : log_.lines()) {
    if (line.find(": shutdown") != std::string::npos) shutdowns.push_back(line);
  }
  EXPECT_EQ(shutdowns, (std::vector<std::string>{"info: [plugin twin]: shutdown",
                                                 "info: [plugin testkit]: shutdown"}));
}

TEST_F(PluginHostTest, LogLinesArePrefixedAndSecretsRedacted) {
  ASSERT_TRUE(LoadFixture("testkit").loaded());
  runtime::ActionContext c;
  c.run_id = 9;
  c.step_path = "notify";
  ASSERT_TRUE(Call("testkit.log", {{"message", "key is s3cr3t-value"}, {"level", 2}}, c).ok());
  EXPECT_TRUE(log_.Contains("warn: [plugin testkit] run 9 step notify: key is ***"))
      << ::testing::PrintToString(log_.lines());
  EXPECT_FALSE(log_.Contains("s3cr3t-value"));
}

TEST_F(PluginHostTest, SecretsByName) {
  ASSERT_TRUE(LoadFixture("testkit").loaded());
  auto found = Call("testkit.secret", {{"name", "API_KEY"}});
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found.output()["value"], "s3cr3t-value");
  EXPECT_EQ(Call("testkit.secret", {{"name", "api_key"}}).output()["value"], "s3cr3t-value");
  EXPECT_EQ(Call("testkit.secret", {{"name", "OTHER"}}).output()["found"], false);
}

TEST_F(PluginHostTest, MetricsAreExportedUnderThePluginsName) {
  ASSERT_TRUE(LoadFixture("testkit").loaded());
  auto& registry = metrics::Registry::Default();
  const metrics::Labels labels = {{"shop", "a"}};
  const double before = registry.Value("storeflow_plugin_testkit_sent_total", labels);
  ASSERT_TRUE(
      Call("testkit.metric", {{"name", "sent"}, {"value", 2}, {"labels", {{"shop", "a"}}}}).ok());
  EXPECT_EQ(registry.Value("storeflow_plugin_testkit_sent_total", labels), before + 2);
  EXPECT_EQ(registry.Value("storeflow_plugin_testkit_sent_level", labels), 2);
  EXPECT_NE(registry.Render().find("storeflow_plugin_testkit_sent_seconds_count{shop=\"a\"}"),
            std::string::npos);
  // testkit declares no metrics: each name is warned about once, and has a # HELP.
  ASSERT_TRUE(
      Call("testkit.metric", {{"name", "sent"}, {"value", 1}, {"labels", {{"shop", "a"}}}}).ok());
  int warnings = 0;
  for (const std::string& line : log_.lines()) {
    if (line.find("counter 'sent_total' is not declared") != std::string::npos) ++warnings;
  }
  EXPECT_EQ(warnings, 1) << ::testing::PrintToString(log_.lines());
  EXPECT_NE(registry.Render().find("# HELP storeflow_plugin_testkit_sent_total "),
            std::string::npos);
}

TEST_F(PluginHostTest, TheClockIsTheEngines) {
  ASSERT_TRUE(LoadFixture("testkit").loaded());
  EXPECT_EQ(Call("testkit.now", Json::object()).output()["now"], kT0);
  clock_.AdvanceTo(kT0 + 5000);
  EXPECT_EQ(Call("testkit.now", Json::object()).output()["now"], kT0 + 5000);
}

TEST_F(PluginHostTest, RenderTemplateUsesTheEngineTemplating) {
  ASSERT_TRUE(LoadFixture("testkit").loaded());
  auto text =
      Call("testkit.render", {{"template", "Dear ${{ customer.name }}, ${{ #items }} items"},
                              {"data", {{"customer", {{"name", "Ada"}}}, {"items", {1, 2, 3}}}}});
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(text.output()["text"], "Dear Ada, 3 items");
  auto unterminated = Call("testkit.render", {{"template", "Hi ${{ name"}});
  ASSERT_FALSE(unterminated.ok());
  EXPECT_TRUE(unterminated.error().permanent());
  EXPECT_EQ(unterminated.error().code, "template_error");
  EXPECT_EQ(unterminated.error().message.rfind("<template>:1:4: ", 0), 0u)
      << unterminated.error().message;
  auto failing = Call("testkit.render", {{"template", "${{ nope.x }}"}});
  ASSERT_FALSE(failing.ok());
  EXPECT_EQ(failing.error().code, "template_error");
  EXPECT_NE(failing.error().message.find("nope"), std::string::npos) << failing.error().message;
  // The sandbox is time-limited.
  auto loop = Call("testkit.render", {{"template", "${{ (function() while true do end end)() }}"}});
  ASSERT_FALSE(loop.ok());
  EXPECT_NE(loop.error().message.find("time limit"), std::string::npos) << loop.error().message;
}

TEST_F(PluginHostTest, LogLineAndMetricNameFormats) {
  storeflow_call_v1 call{};
  call.struct_size = sizeof(call);
  call.run_id = 5;
  call.step_path = "a[0].b";
  EXPECT_EQ(HostServices::LogLine("email", &call, "sent"),
            "[plugin email] run 5 step a[0].b: sent");
  EXPECT_EQ(HostServices::LogLine("email", nullptr, "ready"), "[plugin email]: ready");
  EXPECT_EQ(ExportedMetricName("email", "sent-total", metrics::Type::kCounter),
            "storeflow_plugin_email_sent_total");
  EXPECT_EQ(ExportedMetricName("email", "messages_sent", metrics::Type::kCounter),
            "storeflow_plugin_email_messages_sent_total");
}

}  // namespace
}  // namespace storeflow::plugin::testing
