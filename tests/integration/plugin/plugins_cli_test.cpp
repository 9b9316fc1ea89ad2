// `storeflow plugins list/describe`, `validate` and `run` with plugins, through
// the real binary (STOREFLOW_BINARY).

#include <sys/wait.h>

#include <cstdio>

#include "plugin_test_util.h"
#include "shell_command.h"
#include "storeflow/plugin.h"

namespace storeflow::plugin::testing {
namespace {

// The ABI a first-party plugin built in this tree reports (its table), which
// `plugins list` shows for a loaded plugin whatever its plugin.yaml says.
const std::string kLibraryAbi = "1." + std::to_string(STOREFLOW_PLUGIN_ABI_MINOR);

using CliRun = test_support::CommandResult;

CliRun Storeflow(const std::string& args, const std::string& env = "") {
  return test_support::RunShell("cd '" STOREFLOW_SOURCE_DIR "' && " + env +
                                " '" STOREFLOW_BINARY "' " + args);
}

// A config file whose plugins.dirs names `dirs`, plus `extra` YAML.
std::string Config(TempDir& tmp, const std::string& dirs, const std::string& extra = "") {
  const fs::path file = tmp.path() / "engine.yaml";
  WriteText(file, "plugins:\n  dirs: [" + dirs + "]\n" + extra);
  return file.string();
}

TEST(PluginsCliTest, ListShowsLoadedAndFailedPlugins) {
  TempDir tmp;
  const std::string config =
      Config(tmp, std::string(STOREFLOW_PLUGIN_DIR) + ", " + STOREFLOW_TEST_PLUGIN_DIR);
  CliRun r = Storeflow("plugins list --json --config " + config);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json list = Json::parse(r.out);
  std::map<std::string, Json> by_name;
  for (const Json& p : list) by_name[p["name"]] = p;
  ASSERT_EQ(by_name.count("builtin"), 1u);
  EXPECT_NE(std::find(by_name["builtin"]["actions"].begin(), by_name["builtin"]["actions"].end(),
                      "store.put"),
            by_name["builtin"]["actions"].end());
  ASSERT_EQ(by_name.count("example"), 1u) << r.out;
  EXPECT_EQ(by_name["example"]["version"], "1.0.0");
  // What the library was built for (this tree: ABI 1.3), not its plugin.yaml.
  EXPECT_EQ(by_name["example"]["abi"], kLibraryAbi);
  EXPECT_EQ(by_name["example"]["loaded"], true);
  EXPECT_EQ(by_name["example"]["path"],
            (PluginDir("example") / "libstoreflow_example.so").string());
  EXPECT_EQ(by_name["example"]["actions"],
            Json({"example.greet", "example.slugify", "example.render"}));
  ASSERT_EQ(by_name.count("abi_major"), 1u);
  EXPECT_EQ(by_name["abi_major"]["loaded"], false);
  EXPECT_NE(by_name["abi_major"]["error"].get<std::string>().find("built for plugin ABI 2.0"),
            std::string::npos);

  CliRun text = Storeflow("plugins list --config " + config);
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("example 1.0.0 (ABI " + kLibraryAbi + ") loaded\n  path: " +
                          (PluginDir("example") / "libstoreflow_example.so").string() +
                          "\n  actions: example.greet, example.slugify, example.render\n"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("abi_minor 0.1.0 (ABI 1.0) FAILED\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(
                "  error: " + (FixtureDir("abi_minor") / "libstoreflow_fx_abi_minor.so").string() +
                ": built for plugin ABI 1.7"),
            std::string::npos)
      << text.out;
}

TEST(PluginsCliTest, DescribeOfAFailedPluginShowsItsError) {
  TempDir tmp;
  const std::string config = Config(tmp, STOREFLOW_TEST_PLUGIN_DIR);
  CliRun r = Storeflow("plugins describe small_struct --config " + config);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out.rfind("plugin small_struct 0.1.0 (ABI 1.0)", 0), 0u) << r.out;
  EXPECT_EQ(r.err, "storeflow plugins: plugin 'small_struct' failed to load: " +
                       (FixtureDir("small_struct") / "libstoreflow_fx_small_struct.so").string() +
                       ": its plugin table has struct_size 16, smaller than ABI 1.0's " +
                       std::to_string(kTableSizeV1_0) +
                       " bytes: the plugin was built against a broken plugin.h\n");
}

TEST(PluginsCliTest, TheDefaultFolderIsBesideTheBinary) {
  TempDir tmp;
  const fs::path empty = tmp.path() / "engine.yaml";
  WriteText(empty, "");
  CliRun r = Storeflow("plugins list --json --config " + empty.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"name\": \"example\""), std::string::npos) << r.out;
}

TEST(PluginsCliTest, DescribeShowsSchemasAndExamples) {
  TempDir tmp;
  const std::string config = Config(tmp, STOREFLOW_PLUGIN_DIR);
  CliRun r = Storeflow("plugins describe example --config " + config);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(
      r.out.rfind(
          "plugin example 1.0.0 (ABI " + kLibraryAbi + ") \u2014 An example for plugin authors", 0),
      0u)
      << r.out;
  EXPECT_NE(r.out.find("example.greet \u2014 greets someone and counts how often they were "
                       "greeted\n  input schema (with:):\n    {\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"required\": [\n        \"name\"\n      ]"), std::string::npos) << r.out;
  EXPECT_NE(
      r.out.find("    - uses: example.greet\n      with: {\"greeting\":\"Hi\",\"name\":\"Ada\"}"),
      std::string::npos)
      << r.out;
  // Its config schema (what plugins.config.example may hold) and its event source.
  EXPECT_NE(r.out.find("config (plugins.config.example):\n    {\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"timer_interval_ms\": {"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("source timer (`queue: timer/<topic>` triggers) \u2014 an event"),
            std::string::npos)
      << r.out;
  CliRun listed = Storeflow("plugins list --config " + config);
  EXPECT_NE(listed.out.find("  sources: timer\n"), std::string::npos) << listed.out;

  CliRun builtin = Storeflow("plugins describe builtin --config " + config);
  ASSERT_EQ(builtin.exit_code, 0);
  EXPECT_NE(builtin.out.find("store.put \u2014 inserts or replaces the JSON record"),
            std::string::npos)
      << builtin.out;
  EXPECT_NE(builtin.out.find("http.request \u2014 sends an HTTP request"), std::string::npos);

  CliRun one = Storeflow("plugins describe example.slugify --config " + config);
  ASSERT_EQ(one.exit_code, 0);
  EXPECT_EQ(one.out.rfind("example.slugify \u2014 turns text into a URL slug", 0), 0u) << one.out;

  CliRun typo = Storeflow("plugins describe exampel --config " + config);
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_NE(typo.err.find("no plugin or action named 'exampel'"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("did you mean 'example'?"), std::string::npos) << typo.err;
  EXPECT_EQ(Storeflow("plugins frobnicate").exit_code, 2);
}

TEST(PluginsCliTest, ValidateChecksUsesAgainstTheLoadedActions) {
  TempDir tmp;
  const std::string config =
      Config(tmp, std::string(STOREFLOW_PLUGIN_DIR) + ", " + STOREFLOW_TEST_PLUGIN_DIR);
  const fs::path wf = tmp.path() / "flow.yaml";
  WriteText(wf,
            "workflow: flow\n"
            "on: [{event: go}]\n"
            "steps:\n"
            "  - id: hello\n"
            "    uses: example.gret\n"
            "  - id: broken\n"
            "    uses: abi_major.act\n"
            "  - id: later\n"
            "    uses: klaviyo.track\n"
            "  - id: fine\n"
            "    uses: example.greet\n"
            "    with: { name: x }\n"
            "  - id: typo\n"
            "    uses: example.greet\n"
            "    with: { name: x, greting: hi }\n");
  CliRun r = Storeflow("validate --config " + config + " " + wf.string());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string f = wf.string();
  EXPECT_NE(r.out.find(f + ":5:5: error: unknown action 'example.gret' (known actions: "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("did you mean 'example.greet'?"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(f +
                       ":7:5: error: workflow 'flow' step 'broken' uses 'abi_major.act' of "
                       "plugin 'abi_major', which failed to load: " +
                       (FixtureDir("abi_major") / "libstoreflow_fx_abi_major.so").string() +
                       ": built for plugin ABI 2.0"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(f + ":9:5: error: action 'klaviyo.track' of step 'later': no "
                           "plugin 'klaviyo' is installed"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("--allow-missing-plugins"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(f + ":15:31: error: unknown input 'greting' of action 'example.greet' "
                           "(valid inputs: greeting, name); did you mean 'greeting'?"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.err, "storeflow validate: 4 errors in 1 of 1 file\n");

  // On a machine without the plugin, the missing one is only a warning.
  CliRun allowed =
      Storeflow("validate --allow-missing-plugins --config " + config + " " + wf.string());
  EXPECT_EQ(allowed.exit_code, 1) << allowed.out << allowed.err;
  EXPECT_NE(allowed.out.find(f + ":9:5: warning: action 'klaviyo.track' of step 'later': no "
                                 "plugin 'klaviyo' is installed"),
            std::string::npos)
      << allowed.out;
  EXPECT_EQ(allowed.err, "storeflow validate: 3 errors in 1 of 1 file\n");
}

// A `queue:` trigger must name an event source that a loaded plugin declares and can
// run: what `serve` checks before it starts, reported by `validate` at the trigger.
TEST(PluginsCliTest, ValidateChecksTheSourceOfEveryQueueTrigger) {
  TempDir tmp;
  const fs::path wf = tmp.path() / "ticks.yaml";
  WriteText(wf,
            "workflow: ticks\n"
            "on:\n"
            "  - queue: timer/ticks\n"
            "  - queue: timr/tocks\n"
            "steps:\n"
            "  - id: note\n"
            "    uses: log\n"
            "    with: { message: tick }\n");
  const std::string f = wf.string();
  CliRun r = Storeflow("validate --config " + Config(tmp, STOREFLOW_PLUGIN_DIR) + " " + f);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find(f + ":4:12: error: queue trigger 'timr/tocks': cannot run: no loaded "
                           "plugin declares a source named 'timr'"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("did you mean 'timer'?"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("'timer/ticks'"), std::string::npos) << "the example plugin's timer runs";

  // The same source from an isolated plugin cannot run (serve would refuse to start).
  TempDir isolated;
  const std::string config = Config(isolated, STOREFLOW_PLUGIN_DIR, "  isolate: [example]\n");
  CliRun i = Storeflow("validate --config " + config + " " + f);
  EXPECT_EQ(i.exit_code, 1) << i.out << i.err;
  EXPECT_NE(i.out.find(f + ":3:12: error: queue trigger 'timer/ticks': cannot run: plugin "
                           "'example'"),
            std::string::npos)
      << i.out;
  EXPECT_NE(i.out.find("runs isolated (plugins.isolate)"), std::string::npos) << i.out;
}

TEST(PluginsCliTest, RunUsesAPluginActionWithConfig) {
  TempDir tmp;
  const std::string config =
      Config(tmp, STOREFLOW_PLUGIN_DIR, "  config:\n    example:\n      greeting: Ahoy\n");
  const fs::path wf = tmp.path() / "greet.yaml";
  WriteText(wf,
            "workflow: greet\n"
            "on: [{event: go}]\n"
            "steps:\n"
            "  - id: hello\n"
            "    uses: example.greet\n"
            "    with: { name: \"${{ event.who }}\" }\n"
            "  - id: again\n"
            "    uses: example.greet\n"
            "    with: { name: \"${{ event.who }}\" }\n");
  const fs::path input = tmp.path() / "input.json";
  WriteText(input, R"({"who": "Ada"})");
  CliRun r = Storeflow("run " + wf.string() + " --input " + input.string() + " --config " + config);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  Json run = Json::parse(r.out);
  EXPECT_EQ(run["status"], "completed");
  EXPECT_NE(r.out.find("\"message\": \"Ahoy, Ada!\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"count\": 2"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("[info] [plugin example] run 1 step hello: greeted Ada (1 times)"),
            std::string::npos)
      << r.err;
}

TEST(PluginsCliTest, ABadPluginConfigIsReportedWithItsPosition) {
  TempDir tmp;
  const std::string config =
      Config(tmp, STOREFLOW_PLUGIN_DIR, "  config:\n    example:\n      greting: Ahoy\n");
  CliRun r = Storeflow("plugins list --config " + config);
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("example 1.0.0 (ABI " + kLibraryAbi + ") FAILED"), std::string::npos)
      << r.out;
  EXPECT_NE(
      r.out.find(config + ":5:7: unknown key 'greting' in 'plugins.config.example' (valid "
                          "keys: greeting, shout, timer_interval_ms); did you mean 'greeting'?"),
      std::string::npos)
      << r.out;
}

TEST(PluginsCliTest, AnUnsafeSecretsFileStopsTheEngine) {
  TempDir tmp;
  const fs::path secrets = tmp.path() / "secrets.yaml";
  WriteText(secrets, "API: x\n");  // 0644
  const std::string config =
      Config(tmp, STOREFLOW_PLUGIN_DIR, "secrets:\n  file: " + secrets.string() + "\n");
  CliRun r = Storeflow("plugins list --config " + config);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "storeflow plugins: secrets file " + secrets.string() +
                       " has mode 0644: group or others may read or write it; run `chmod 600 " +
                       secrets.string() + "`\n");
}

}  // namespace
}  // namespace storeflow::plugin::testing
